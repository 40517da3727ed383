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
import operator
import os
from array import array
from collections.abc import Iterable, Sequence
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


#: Repository events as the audit writer queues them: for each distinct `RepositoryKey`, the times and
#: durations of its events as the bytes of an `array("d")` (time, duration, time, duration, …).
PackedGroups = list[tuple[RepositoryKey, bytes]]


class RepositoryBatch(NamedTuple):
    """Repository events as the sink writes them: the kind of each group (its `KIND_FIELDS` values) and
    a row per event — time, duration (rounded to the microsecond), the index of its kind in `kinds`,
    correlation id — in time order. The pulls of one client share a kind: what they share is handled
    once a batch, not once an event."""

    kinds: list[tuple[Any, ...]]
    rows: list[tuple[float, float, int, str]]


def repository_batch(groups: PackedGroups) -> RepositoryBatch:
    """The events `groups` hold, each with a new correlation id unless its key has one."""
    kinds: list[tuple[Any, ...]] = []
    rows: list[tuple[float, float, int, str]] = []
    for index, (key, packed) in enumerate(groups):
        times = array("d")
        times.frombytes(packed)
        *kind_head, correlation_id, reason = key  # the kind is the key but its correlation id
        count = len(times) // 2
        ids = itertools.repeat(correlation_id, count) if correlation_id else new_ids(count)
        kinds.append((*kind_head, reason))
        rows.extend(zip(times[::2], map(round, times[1::2], itertools.repeat(3)), itertools.repeat(index), ids))
    if len(groups) > 1:  # each group is in time order already
        rows.sort(key=_TIME)
    return RepositoryBatch(kinds, rows)


def packed_groups(events: Iterable[RepositoryEvent]) -> PackedGroups:
    """`events` as the audit writer queues them."""
    groups: dict[RepositoryKey, array[float]] = {}
    for event in events:
        groups.setdefault(repository_key(event), array("d")).extend((event.time_generated, event.duration_ms))
    return [(key, times.tobytes()) for key, times in groups.items()]


Event = LoginEvent | RepositoryEvent
_E = TypeVar("_E", LoginEvent, RepositoryEvent)

#: The fields of a repository event's kind: what the pulls of one client share, stored once (see
#: `audit.schema`) — all but `time_generated`, `duration_ms` and `correlation_id`, in order.
KIND_FIELDS = tuple(f for f in RepositoryEvent._fields if f not in ("time_generated", "duration_ms", "correlation_id"))


def kind_of(event: RepositoryEvent) -> tuple[Any, ...]:
    """The values of `event`'s `KIND_FIELDS`."""
    return (*event[1:15], event[16], event[18])


def kind_fingerprint(kind: Sequence[Any]) -> str:
    """The unique key of a kind in its table: the SHA-256 of its values as a JSON array (migration
    0007 computes the same for the events it moves)."""
    return hashlib.sha256(json.dumps(list(kind), ensure_ascii=False).encode()).hexdigest()


def fingerprinted(kinds: Sequence[tuple[Any, ...]]) -> tuple[list[str], dict[str, tuple[Any, ...]]]:
    """The fingerprint of each kind, in order, and the distinct kinds by their fingerprints."""
    fingerprints = [kind_fingerprint(kind) for kind in kinds]
    return fingerprints, dict(zip(fingerprints, kinds, strict=True))


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

    Formatted from templates, field by field, because the audit sink formats one line per audited
    request: `json.dumps` (which builds an encoder on every call) would cost more than all the rest of
    the event's way to disk. A test holds this equal to `json.dumps(to_json(event))`.
    """
    if isinstance(event, RepositoryEvent):
        row = (event.time_generated, event.duration_ms, 0, event.correlation_id)
        return repository_json_lines(RepositoryBatch([kind_of(event)], [row]))
    return (
        _LOGIN_LINE
        % (
            *map(_escape, (iso_time(event[0]), *event[1:9])),  # time .. user_agent
            event.duration_ms,
            *map(_escape, event[10:]),  # jwt_id, correlation_id, reason
        )
    )


def json_lines(events: Sequence[Event]) -> str:
    """`events` as JSON lines (`to_json_line`'s), in order."""
    return "".join(map(to_json_line, events))


def repository_json_lines(batch: RepositoryBatch, start: int = 0, stop: int | None = None) -> str:
    """The events of `batch` (`rows[start:stop]`) as JSON lines, in order: the constant parts of each
    kind's line made once, then joined with each event's time (as `iso_time` gives it), duration and
    correlation id. An f-string of parts costs a third of a `%` template of the whole line, which `%`
    reads anew each time."""
    parts = [_repository_parts(kind) for kind in batch.kinds]
    second, milliseconds, e = _iso_second, _MILLISECONDS, _escape
    return "".join(
        [
            f'{{"TimeGenerated":"{second(s)}{milliseconds[ms]}{middle}{duration!r}{before_id}{e(cid)}{tail}'
            for t, duration, index, cid in batch.rows[start:stop]
            for middle, before_id, tail in (parts[index],)
            for s, ms in (divmod(round(t * 1000), 1000),)
        ]
    )


def with_ids(events: Sequence[_E]) -> Sequence[_E]:
    """`events`, each with a correlation id: a new random one where it had none."""
    missing = sum(1 for event in events if not event.correlation_id)
    if not missing:
        return events
    ids = iter(new_ids(missing))
    return [event if event.correlation_id else event._replace(correlation_id=next(ids)) for event in events]


def new_ids(count: int) -> list[str]:
    """`count` random (version 4) UUIDs as text, from one read of the system's random source: the audit
    gives one to every event, and `uuid.uuid4()` costs about ten times as much an id. The hex digits
    are laid out in place, one strided copy for each of the 32 places of a digit in a UUID's text."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = raw[6::16].translate(_VERSION_4)
    raw[8::16] = raw[8::16].translate(_RFC_4122_VARIANT)
    digits = raw.hex().encode()
    text = bytearray(b"-" * (36 * count))
    for place, at in enumerate(_DIGIT_PLACES):
        text[at::36] = digits[place::32]
    joined = text.decode()
    return [joined[i : i + 36] for i in range(0, len(joined), 36)]


def _members(names: Sequence[str]) -> str:
    return ",".join(f"{json.dumps(COLUMNS[name])}:{'%r' if name == 'duration_ms' else '%s'}" for name in names)


def _repository_parts(kind: Sequence[Any]) -> tuple[str, str, str]:
    """The constant parts of the JSON line of an event of `kind`: what comes between its time and its
    duration, between its duration and its correlation id, and after that."""
    values = {
        name: str(int(value)) if name == "size" else _escape(value)
        for name, value in zip(KIND_FIELDS, kind, strict=True)
    }
    # "Column":value for each field after the time; the duration's and the correlation id's values left out
    members = [f"{json.dumps(COLUMNS[name])}:{values.get(name, '')}" for name in RepositoryEvent._fields[1:]]
    *to_duration, jwt_id, correlation_id, reason = members
    return '",' + ",".join(to_duration), f",{jwt_id},{correlation_id}", f",{reason}}}\n"


_COLUMN_NAMES = {kind: tuple(COLUMNS[name] for name in kind._fields) for kind in (LoginEvent, RepositoryEvent)}
_LOGIN_LINE = "{" + _members(LoginEvent._fields) + "}\n"
_TIME = operator.itemgetter(0)
_VERSION_4 = bytes(byte & 0x0F | 0x40 for byte in range(256))
_RFC_4122_VARIANT = bytes(byte & 0x3F | 0x80 for byte in range(256))
_DIGIT_PLACES = [i for i in range(36) if i not in (8, 13, 18, 23)]
_MILLISECONDS = [f".{millisecond:03d}Z" for millisecond in range(1000)]
