"""Events as JSON: the columns of ACR's log tables, one line per event, times in UTC."""

from __future__ import annotations

import json
import uuid

import pytest

from dockyard.audit.model import (
    LoginEvent,
    LoginOperation,
    RepositoryEvent,
    RepositoryOperation,
    ResultType,
    iso_time,
    new_ids,
    packed_groups,
    repository_batch,
    repository_json_lines,
    to_json,
    to_json_line,
)

ODD = 'quote " backslash \\ newline \n tab \t unicode é ☃ control \x01'


def login_event(**fields: object) -> LoginEvent:
    values: dict[str, object] = {
        "time_generated": 1_767_225_600.1234,
        "identity": "6f1c3e7a-0000-4000-8000-000000000001",
        "identity_name": "ci",
        "login_server": "registry.example.com",
        "caller_ip_address": "203.0.113.7",
        "result_type": ResultType.SUCCESS,
        "result_description": "signed in",
        "operation_name": LoginOperation.TOKEN,
        "user_agent": "docker/27.0",
        "duration_ms": 12.345,
        "jwt_id": "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b",
        "correlation_id": "0d1c2b3a-0000-4000-8000-000000000002",
        "reason": "",
    }
    return LoginEvent(**{**values, **fields})  # type: ignore[arg-type]


def repository_event(**fields: object) -> RepositoryEvent:
    values: dict[str, object] = {
        "time_generated": 1_767_225_600.5,
        "operation_name": RepositoryOperation.PULL,
        "identity": "anonymous",
        "identity_name": "anonymous",
        "login_server": "registry.example.com",
        "repository": "team/app",
        "tag": "v1",
        "digest": "sha256:" + "a" * 64,
        "artifact_type": "application/vnd.oci.image.config.v1+json",
        "media_type": "application/vnd.oci.image.manifest.v1+json",
        "size": 527,
        "caller_ip_address": "203.0.113.7",
        "user_agent": "containerd/1.7",
        "result_type": ResultType.SUCCESS,
        "result_description": "pulled",
        "duration_ms": 0.25,
        "jwt_id": "",
        "correlation_id": "0d1c2b3a-0000-4000-8000-000000000003",
        "reason": "",
    }
    return RepositoryEvent(**{**values, **fields})  # type: ignore[arg-type]


def test_a_login_event_has_the_columns_of_acrs_login_events_table_in_order() -> None:
    assert list(to_json(login_event())) == [
        "TimeGenerated", "Identity", "IdentityName", "LoginServer", "CallerIpAddress", "ResultType",
        "ResultDescription", "OperationName", "UserAgent", "DurationMs", "JwtId", "CorrelationId", "Reason",
    ]  # fmt: skip


def test_a_repository_event_has_the_columns_of_acrs_repository_events_table_in_order() -> None:
    assert list(to_json(repository_event())) == [
        "TimeGenerated", "OperationName", "Identity", "IdentityName", "LoginServer", "Repository", "Tag", "Digest",
        "ArtifactType", "MediaType", "Size", "CallerIpAddress", "UserAgent", "ResultType", "ResultDescription",
        "DurationMs", "JwtId", "CorrelationId", "Reason",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "event",
    [
        login_event(),
        login_event(user_agent=ODD, reason="repository:a:push=no_matching_assignment", duration_ms=1.5),
        repository_event(),
        repository_event(user_agent=ODD, result_description=ODD, size=0, duration_ms=1234.567),
        repository_event(identity="token:ci", result_type=ResultType.FAILURE, reason="DENIED"),
    ],
)
def test_a_json_line_is_exactly_the_events_json(event: LoginEvent | RepositoryEvent) -> None:
    line = to_json_line(event)

    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line) == to_json(event)


def test_a_batch_holds_its_events_in_time_order_with_ids_where_they_had_none() -> None:
    first = repository_event(time_generated=1_767_225_601.0, duration_ms=1.23456, correlation_id="")
    second = repository_event(time_generated=1_767_225_602.0, user_agent="50% " + ODD, correlation_id="given")
    third = first._replace(time_generated=1_767_225_603.0, duration_ms=0.0)

    batch = repository_batch(packed_groups([third, second, first]))
    lines = [json.loads(line) for line in repository_json_lines(batch).splitlines()]

    given_ids = [uuid.UUID(lines[0]["CorrelationId"]), uuid.UUID(lines[2]["CorrelationId"])]
    assert lines[1]["CorrelationId"] == "given"
    assert given_ids[0] != given_ids[1] and {i.version for i in given_ids} == {4}
    assert lines == [
        to_json(event._replace(duration_ms=round(event.duration_ms, 3), correlation_id=line["CorrelationId"]))
        for event, line in zip([first, second, third], lines, strict=True)
    ]


def test_times_are_utc_iso_8601_with_milliseconds() -> None:
    assert iso_time(1_767_225_600.1234) == "2026-01-01T00:00:00.123Z"
    assert iso_time(1_767_225_600.9996) == "2026-01-01T00:00:01.000Z"


def test_new_ids_are_distinct_random_uuids() -> None:
    ids = new_ids(1000)

    assert len(set(ids)) == 1000
    for text in ids:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
