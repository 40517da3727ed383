"""The management API fuzzed from its own OpenAPI document (schemathesis), against a live server.

Whatever hypothesis makes of each operation's parameters and body — valid data and data that breaks
the schema — the server answers without a 5xx, with a status the document lists, and with a body that
matches the document's schema. The document is the one the live server publishes (checked equal to
the one the code generates, which the operations are collected from). Bounded for CI: a few
derandomized examples per operation and mode, about a minute in all on two cores.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dockyard.management.openapi import openapi_document
from dockyard.management.resources import OPERATIONS
from tests.management.conftest import Api, start_api

DOCUMENT = openapi_document(OPERATIONS)
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
LABELS = [result.ok().label for result in SCHEMA.get_all_operations()]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A registry of the fuzz's own: what it changes (the permissions mode, the admin user, network rules…)
    must not reach the other management tests."""
    started = start_api(tmp_path_factory.mktemp("management-fuzz") / "data")
    yield started
    started.registry.server.stop()


@pytest.fixture(scope="module")
def owner_token(api: Api) -> str:
    """The owner's directory token: every operation is allowed, so the fuzz reaches the handlers."""
    return api.directory_token(*api.registry.owner)


def test_the_live_server_publishes_the_generated_document(api: Api) -> None:
    assert httpx.get(f"{api.registry.url}/api/openapi.json", timeout=30).json() == DOCUMENT


@pytest.mark.parametrize("label", LABELS)
def test_no_operation_fails_or_answers_outside_its_schema(label: str, api: Api, owner_token: str) -> None:
    operation = SCHEMA.find_operation_by_label(label)
    assert operation is not None
    cases = st.one_of(operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE))
    headers = {"Authorization": f"Bearer {owner_token}"}

    @given(case=cases)
    @settings(max_examples=25, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=api.registry.url, headers=headers, checks=CHECKS, timeout=30)

    fuzz()
