"""The vocabulary of the audit trail: operations, results, and the two kinds of event.

Field names follow the columns of ACR's `ContainerRegistryLoginEvents` and
`ContainerRegistryRepositoryEvents` tables (`TimeGenerated`, `Identity`, …), so an operator's queries
carry over; `COLUMNS` maps each field to its column name. Dockyard adds `IdentityName`, `JwtId` on
repository events (it ties a data-plane event to the login that minted its token) and `Reason`, the
exact reason code(s).

Events are `NamedTuple`s, not frozen dataclasses: they are immutable values all the same, and one is
built on the hot path of every audited request, where a tuple costs a fraction of a dataclass.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import itertools
import json
import os
from collections.abc import Iterator, Sequence
from enum import Enum, StrEnum
from json.encoder import encode_basestring as _escape
from typing import Any, NamedTuple, TypeVar

#: The identity of a caller that presented no credentials (or was refused before any was read).
ANONYMOUS = "anonymous"


class LoginOperation(StrEnum):
    """What kind of authentication attempt a login event records."""

    TOKEN = "token"  # /oauth2/token with Basic credentials, a password form, or anonymously
    REFRESH = "refresh"  # /oauth2/token with a refresh token (grant_type=refresh_token, or the token user name)
    EXCHANGE = "exchange"  # /oauth2/exchange: a directory token for a registry refresh token
    DIRECTORY_TOKEN = "directory_token"  # /directory/<tenant>/oauth2/v2.0/token
    NETWORK = "network"  # refused by the network rules before any credential was looked at


class RepositoryOperation(StrEnum):
    """What a repository event records."""

    PUSH = "push"  # manifest PUT
    PULL = "pull"  # manifest GET (HEAD is not recorded)
    DELETE = "delete"  # manifest or tag DELETE


class ResultType(StrEnum):
    """How the attempt or operation ended."""

    SUCCESS = "success"
    FAILURE = "failure"


class LoginEvent(NamedTuple):
    """One authentication attempt. `identity` is the subject (a directory object id, `admin`,
    `token:<name>`, `anonymous`) or, for a failure, the user name or application id that was tried."""

    time_generated: float  # seconds since the epoch (UTC), when the request arrived
    identity: str
    identity_name: str  # display or user name; the registry name for the admin user; the token's name
    login_server: str
    caller_ip_address: str
    result_type: ResultType
    result_description: str  # for people
    operation_name: LoginOperation
    user_agent: str
    duration_ms: float  # rounded to the microsecond
    jwt_id: str  # the `jti` of the access token issued, if any
    correlation_id: str
    reason: str  # the exact reason code(s), see docs/audit.md


class RepositoryEvent(NamedTuple):
    """One push, pull or delete of a manifest or tag."""

    time_generated: float
    operation_name: RepositoryOperation
    identity: str
    identity_name: str
    login_server: str
    repository: str
    tag: str
    digest: str
    artifact_type: str
    media_type: str
    size: int  # of the manifest, in bytes
    caller_ip_address: str
    user_agent: str
    result_type: ResultType
    result_description: str
    duration_ms: float  # rounded to the microsecond
    jwt_id: str  # the `jti` of the access token the request presented
    correlation_id: str
    reason: str  # the OCI error code of a failure


#: What the events of a run of pulls share: a `RepositoryEvent`'s fields but `time_generated` and
#: `duration_ms`, in order, as plain values (enum members as their strings). The audit writer queues each
#: distinct key once, with the two numbers of each of its events.
RepositoryKey = tuple[Any, ...]


def plain_row(event: Event) -> tuple[Any, ...]:
    """An event as a plain tuple of its fields, its enum members as their string values (what marshal takes)."""
    return tuple(value.value if isinstance(value, Enum) else value for value in event)


def repository_key(event: RepositoryEvent) -> RepositoryKey:
    """The key of `event` (see `RepositoryKey`)."""
    row = plain_row(event)
    return row[1:15] + row[16:]


def repository_events(key: RepositoryKey, times: Sequence[float]) -> Iterator[RepositoryEvent]:
    """The events of `key`, one for each (`time_generated`, `duration_ms`) pair in `times` (flat:
    time, duration, time, duration, …), the durations rounded to the microsecond; each has a new
    correlation id unless the key has one."""
    head, (jwt_id, correlation_id, reason) = key[:14], key[14:]
    ids = itertools.repeat(correlation_id) if correlation_id else iter(new_ids(len(times) // 2))
    for i in range(0, len(times), 2):
        yield tuple.__new__(RepositoryEvent, (times[i], *head, round(times[i + 1], 3), jwt_id, next(ids), reason))


Event = LoginEvent | RepositoryEvent
_E = TypeVar("_E", LoginEvent, RepositoryEvent)

#: The fields of a repository event's kind: what the pulls of one client share, stored once (see
#: `audit.schema`) — all but `time_generated`, `duration_ms` and `correlation_id`, in order.
KIND_FIELDS = tuple(f for f in RepositoryEvent._fields if f not in ("time_generated", "duration_ms", "correlation_id"))


def kind_of(event: RepositoryEvent) -> tuple[Any, ...]:
    """The values of `event`'s `KIND_FIELDS`."""
    return (*event[1:15], event[16], event[18])


def kinds_of(events: Sequence[RepositoryEvent]) -> tuple[list[tuple[Any, ...]], dict[str, tuple[Any, ...]]]:
    """Each event's kind, in order, and the distinct kinds by their fingerprints."""
    kinds = [kind_of(event) for event in events]
    return kinds, {kind_fingerprint(kind): kind for kind in dict.fromkeys(kinds)}


def kind_fingerprint(kind: Sequence[Any]) -> str:
    """The unique key of a kind in its table: the SHA-256 of its values as a JSON array (migration
    0007 computes the same for the events it moves)."""
    return hashlib.sha256(json.dumps(list(kind), ensure_ascii=False).encode()).hexdigest()


#: Field name -> column name, as ACR's log tables spell it.
COLUMNS = {
    "time_generated": "TimeGenerated",
    "operation_name": "OperationName",
    "identity": "Identity",
    "identity_name": "IdentityName",
    "login_server": "LoginServer",
    "repository": "Repository",
    "tag": "Tag",
    "digest": "Digest",
    "artifact_type": "ArtifactType",
    "media_type": "MediaType",
    "size": "Size",
    "caller_ip_address": "CallerIpAddress",
    "user_agent": "UserAgent",
    "result_type": "ResultType",
    "result_description": "ResultDescription",
    "duration_ms": "DurationMs",
    "jwt_id": "JwtId",
    "correlation_id": "CorrelationId",
    "reason": "Reason",
}


def iso_time(timestamp: float) -> str:
    """`2026-01-31T12:00:00.123Z`: a time as the log tables show it (UTC, rounded to the millisecond,
    as SQLite's `strftime('%f')` rounds it)."""
    second, millisecond = divmod(round(timestamp * 1000), 1000)
    return f"{_iso_second(second)}.{millisecond:03d}Z"


@functools.lru_cache(maxsize=64)
def _iso_second(second: int) -> str:
    # The events of one batch share a handful of seconds: format each once.
    return datetime.datetime.fromtimestamp(second, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def to_json(event: Event) -> dict[str, Any]:
    """The event as a JSON object with ACR's column names, in the column order of its table."""
    out = dict(zip(_COLUMN_NAMES[type(event)], event, strict=True))
    out["TimeGenerated"] = iso_time(event.time_generated)
    return out


def to_json_line(event: Event) -> str:
    """`to_json(event)` as one line of JSON (no spaces, a newline at the end).

    Formatted from templates made once, field by field, because the audit writer formats one line per
    audited request, in the server's process: `json.dumps` (which builds an encoder on every call)
    would cost more than all the rest of the event's way to disk. The middle of a repository event's
    line (operation to description) repeats from pull to pull and is formatted once per distinct value.
    A test holds this equal to `json.dumps(to_json(event))`.
    """
    e = _escape
    if isinstance(event, RepositoryEvent):
        key = event[1:15]  # operation_name .. result_description
        middle = _MIDDLES.get(key)
        if middle is None:
            if len(_MIDDLES) >= _MAX_MIDDLES:
                _MIDDLES.clear()
            middle = _REPOSITORY_MIDDLE % (*map(e, event[1:10]), event.size, *map(e, event[11:15]))
            _MIDDLES[key] = middle
        return _REPOSITORY_LINE % (
            iso_time(event[0]),
            middle,
            event.duration_ms,
            e(event.jwt_id),
            e(event.correlation_id),
            e(event.reason),
        )
    return (
        _LOGIN_LINE
        % (
            *map(e, (iso_time(event[0]), *event[1:9])),  # time .. user_agent
            event.duration_ms,
            *map(e, event[10:]),  # jwt_id, correlation_id, reason
        )
    )


def json_lines(events: Sequence[Event]) -> str:
    """`events` as JSON lines (`to_json_line`'s), in order."""
    return "".join(map(to_json_line, events))


def with_ids(events: Sequence[_E]) -> Sequence[_E]:
    """`events`, each with a correlation id: a new random one where it had none."""
    missing = sum(1 for event in events if not event.correlation_id)
    if not missing:
        return events
    ids = iter(new_ids(missing))
    return [event if event.correlation_id else event._replace(correlation_id=next(ids)) for event in events]


def new_ids(count: int) -> list[str]:
    """`count` random (version 4) UUIDs as text, from one read of the system's random source: the audit
    gives one to every event, and `uuid.uuid4()` costs about ten times as much an id."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = bytes(byte & 0x0F | 0x40 for byte in raw[6::16])  # version 4
    raw[8::16] = bytes(byte & 0x3F | 0x80 for byte in raw[8::16])  # the RFC 4122 variant
    h = raw.hex()
    return [
        f"{h[i : i + 8]}-{h[i + 8 : i + 12]}-{h[i + 12 : i + 16]}-{h[i + 16 : i + 20]}-{h[i + 20 : i + 32]}"
        for i in range(0, len(h), 32)
    ]


def _members(kind: type[LoginEvent] | type[RepositoryEvent], names: tuple[str, ...]) -> str:
    specs = {"size": "%d", "duration_ms": "%r"}
    return ",".join(f"{json.dumps(COLUMNS[name])}:{specs.get(name, '%s')}" for name in names)


_COLUMN_NAMES = {kind: tuple(COLUMNS[name] for name in kind._fields) for kind in (LoginEvent, RepositoryEvent)}
_LOGIN_LINE = "{" + _members(LoginEvent, LoginEvent._fields) + "}\n"
_REPOSITORY_MIDDLE = _members(RepositoryEvent, RepositoryEvent._fields[1:15])
_REPOSITORY_LINE = '{"TimeGenerated":"%s",%s,' + _members(RepositoryEvent, RepositoryEvent._fields[15:]) + "}\n"
_MIDDLES: dict[tuple[object, ...], str] = {}
_MAX_MIDDLES = 4096
