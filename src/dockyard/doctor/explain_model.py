"""What `explain` answers: an `Explanation` — the verdict first, then every part of the registry that
bore on it — and its JSON form. Values only: no I/O, no decisions (those are `decide()`'s and `admit()`'s).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from dockyard.access.decision import Decision, SubjectKind
from dockyard.access.roles import PermissionsMode
from dockyard.doctor.explain_texts import Finding


@dataclass(frozen=True)
class Expiring:
    """A client secret (by id) or a token password (by name), and when it expires (None: never)."""

    name: str
    expiry: float | None
    expired: bool


@dataclass(frozen=True)
class Credential:
    """The identity as the token service would build it, and whether any of its credentials signs in at `at`."""

    kind: SubjectKind
    id: str
    name: str
    matched_by: str  # how `--identity` was found: "object id", "application id", "user name", ...
    enabled: bool
    refusal: Finding | None  # why no credential of this identity signs in at `at` (None: one does)
    secrets: tuple[Expiring, ...] = ()  # a service principal's client secrets, a token's passwords
    federated_credentials: tuple[str, ...] = ()  # names
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetworkVerdict:
    """`admit()` for the client address asked about, with the rule that decided, in words."""

    ip: str
    admitted: bool
    reason: str
    rule: str  # what decided: "IP rule 203.0.113.0/24", "default action Deny", ...


@dataclass(frozen=True)
class AssignmentView:
    """One role assignment of the identity or of one of its groups, as it bears on this request."""

    id: str
    role: str
    scope: str
    principal_id: str  # whom the assignment names: the identity itself, or a group
    principal_name: str
    through_group: bool
    honoured: bool  # whether its role grants this action's data action in this permissions mode
    outcome: str  # grants | ignored_in_mode | lacks_action | other_repository | condition_false | ...
    text: str  # the outcome in words
    condition: str | None = None
    condition_result: bool | None = None
    trace: tuple[str, ...] = ()  # `conditions.explain()`'s lines
    warnings: tuple[str, ...] = ()
    named_by_decision: bool = False  # decide() named this assignment among its reasons

    @property
    def grants(self) -> bool:
        """Whether this assignment grants the action on the repository."""
        return self.outcome == "grants"


@dataclass(frozen=True)
class ScopeMapView:
    """A token's scope map: each line, and whether it allows this action on this repository."""

    name: str
    exists: bool
    entries: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class LockView:
    """The changeable attributes of the repository, or of one of its tags or manifests."""

    target: str  # "repository team/app", "tag v1", "manifest sha256:…"
    read_enabled: bool
    write_enabled: bool
    delete_enabled: bool
    list_enabled: bool


@dataclass(frozen=True)
class Explanation:
    """Why `identity` may or may not do `action` on `repository` at `at`.

    `decision` is `decide()`'s, untouched. `allowed` is the verdict of the whole request: the network
    rules must admit `ip` (when given), a credential of the identity must sign in, `decide()` must allow,
    and no tag lock may refuse. `reasons` say why, in that order: the refusals when denied, else
    `decide()`'s grant.
    """

    identity: str
    repository: str
    action: str  # pull | push | delete | catalog
    at: float
    allowed: bool
    reasons: tuple[Finding, ...]
    decision: Decision
    credential: Credential
    network: NetworkVerdict | None
    mode: PermissionsMode
    anonymous_pull_enabled: bool
    assignments: tuple[AssignmentView, ...] = ()
    scope_map: ScopeMapView | None = None
    locks: tuple[LockView, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        """The reason codes of the verdict, in order."""
        return tuple(reason.code for reason in self.reasons)


def iso(timestamp: float | None) -> str | None:
    """A time as ISO 8601 in UTC, to the second (None stays None)."""
    if timestamp is None:
        return None
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def finding_json(finding: Finding) -> dict[str, str]:
    """A finding as JSON."""
    return {"code": finding.code, "ref": finding.ref, "text": finding.text, "fix": finding.fix}


def to_json(explanation: Explanation) -> dict[str, Any]:
    """The explanation as JSON (camelCase keys, as the management API writes them)."""
    e = explanation
    return {
        "verdict": "allowed" if e.allowed else "denied",
        "reasons": [finding_json(reason) for reason in e.reasons],
        "decision": {
            "allowed": e.decision.allowed,
            "reasons": [{"code": r.code.value, "ref": r.ref, "text": r.text} for r in e.decision.reasons],
        },
        "identity": e.identity,
        "repository": e.repository,
        "action": e.action,
        "at": iso(e.at),
        "credential": credential_json(e.credential),
        "network": None if e.network is None else network_json(e.network),
        "permissionsMode": e.mode.value,
        "anonymousPullEnabled": e.anonymous_pull_enabled,
        "assignments": [_assignment_json(a) for a in e.assignments],
        "scopeMap": None
        if e.scope_map is None
        else {
            "name": e.scope_map.name,
            "exists": e.scope_map.exists,
            "entries": [{"action": entry, "matches": matches} for entry, matches in e.scope_map.entries],
        },
        "locks": [
            {
                "target": lock.target,
                "readEnabled": lock.read_enabled,
                "writeEnabled": lock.write_enabled,
                "deleteEnabled": lock.delete_enabled,
                "listEnabled": lock.list_enabled,
            }
            for lock in e.locks
        ],
        "notes": list(e.notes),
    }


def credential_json(c: Credential) -> dict[str, Any]:
    """A credential state as JSON (ids, names and expiry dates only)."""
    return {
        "kind": c.kind.value,
        "id": c.id,
        "name": c.name,
        "matchedBy": c.matched_by,
        "enabled": c.enabled,
        "signsIn": c.refusal is None,
        "refusal": finding_json(c.refusal) if c.refusal else None,
        "secrets": [{"name": s.name, "expiry": iso(s.expiry), "expired": s.expired} for s in c.secrets],
        "federatedCredentials": list(c.federated_credentials),
        "notes": list(c.notes),
    }


def network_json(n: NetworkVerdict) -> dict[str, Any]:
    """A network verdict as JSON."""
    return {"ip": n.ip, "admitted": n.admitted, "reason": n.reason, "rule": n.rule}


def _assignment_json(a: AssignmentView) -> dict[str, Any]:
    return {
        "id": a.id,
        "role": a.role,
        "scope": a.scope,
        "principalId": a.principal_id,
        "principalName": a.principal_name,
        "throughGroup": a.through_group,
        "honoured": a.honoured,
        "outcome": a.outcome,
        "text": a.text,
        "condition": a.condition,
        "conditionResult": a.condition_result,
        "trace": list(a.trace),
        "warnings": list(a.warnings),
        "namedByDecision": a.named_by_decision,
    }
