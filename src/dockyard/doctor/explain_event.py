"""`explain_event()`: a logged login event explained — its reason codes as sentences with their fix,
and, where the event names the identity (and the repository action), the same question asked now.

A login event's `Reason` is either one sign-in refusal code (`secret_expired`, `default_action_deny`, …)
or, for a sign-in that succeeded but was not granted everything, one `<type>:<name>:<action>=<reasons>`
item per action (see docs/audit.md). Both are parsed here; the fresh answers come from `explain()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dockyard.audit.model import ANONYMOUS, LoginEvent, LoginOperation
from dockyard.audit.model import to_json as audit_json
from dockyard.doctor.explain import ExplainedAction, explain, network_verdict
from dockyard.doctor.explain_identity import IdentityNotResolved, credential, resolve
from dockyard.doctor.explain_model import (
    Credential,
    Explanation,
    NetworkVerdict,
    credential_json,
    finding_json,
    network_json,
    to_json,
)
from dockyard.doctor.explain_stores import ExplainStores
from dockyard.doctor.explain_texts import Finding, finding

_REASON = re.compile(r"(?P<code>[a-z_]+)(?:\((?P<ref>[^)]*)\))?")


class EventNotFound(LookupError):
    """No login event has this correlation id or row id."""


@dataclass(frozen=True)
class DeniedAction:
    """One action a successful sign-in asked for and was not granted, with every reason `decide()` gave."""

    type: str
    name: str
    action: str
    reasons: tuple[Finding, ...]


@dataclass(frozen=True)
class EventExplanation:
    """A login event, what its reasons mean, and the same question asked again now."""

    event: LoginEvent
    reasons: tuple[Finding, ...]  # a failure's reason codes
    denied: tuple[DeniedAction, ...]  # a success's actions not granted
    now: tuple[Explanation, ...] = ()  # each denied repository action, explained now
    credential: Credential | None = None  # a sign-in failure's identity, as it stands now
    network: NetworkVerdict | None = None  # the caller's address under today's rules
    notes: tuple[str, ...] = ()


def parse_reason(reason: str) -> tuple[tuple[Finding, ...], tuple[DeniedAction, ...]]:
    """A login event's `Reason` as (plain reason codes, actions not granted)."""
    plain: list[Finding] = []
    denied: list[DeniedAction] = []
    for item in reason.split():
        scope, equals, codes = item.partition("=")
        if not equals:
            plain.extend(_findings(item))
            continue
        kind, _, rest = scope.partition(":")
        name, _, action = rest.rpartition(":")
        denied.append(DeniedAction(kind, name, action, tuple(_findings(codes))))
    return tuple(plain), tuple(denied)


def _findings(text: str) -> list[Finding]:
    return [finding(m["code"], m["ref"] or "") for m in _REASON.finditer(text)]


def explain_event(stores: ExplainStores, event_id: str, now: float) -> EventExplanation:
    """Explain the login event with correlation id (or row id) `event_id`; raises `EventNotFound`."""
    event = stores.audit.login_event(event_id)
    if event is None:
        raise EventNotFound(f"no login event has the correlation id or id {event_id!r}")
    reasons, denied = parse_reason(event.reason)
    notes: list[str] = []
    fresh: list[Explanation] = []
    ip = event.caller_ip_address or None
    for action in denied:
        explained = _explain_now(stores, event, action, now, ip, notes)
        if explained is not None:
            fresh.append(explained)
    state = None
    if reasons and event.identity != ANONYMOUS and event.operation_name is not LoginOperation.NETWORK:
        try:
            state = credential(stores.service, resolve(stores.service, event.identity, now), now)
        except IdentityNotResolved as exc:
            notes.append(f"the identity cannot be explained now: {exc.message}")
    network = None
    if ip is not None and not fresh:
        # explain() checks the address for each action; a sign-in failure gets it checked here
        network = network_verdict(ip, stores.service.properties.current().network_rules)
    if not reasons and not denied:
        notes.append("this event records no refusal: everything asked for was granted")
    return EventExplanation(event, reasons, denied, tuple(fresh), state, network, tuple(notes))


def _explain_now(
    stores: ExplainStores, event: LoginEvent, denied: DeniedAction, now: float, ip: str | None, notes: list[str]
) -> Explanation | None:
    if denied.type == "registry" and denied.name == "catalog":
        action = ExplainedAction.CATALOG
    elif denied.type == "repository" and denied.action in ("pull", "push", "delete"):
        action = ExplainedAction(denied.action)
    else:
        notes.append(f"{denied.type}:{denied.name}:{denied.action} cannot be explained again (unknown action)")
        return None
    try:
        return explain(stores, event.identity, denied.name, action, now, ip=ip)
    except IdentityNotResolved as exc:
        notes.append(f"the identity cannot be explained now: {exc.message}")
        return None


def event_json(explained: EventExplanation) -> dict[str, Any]:
    """The explained event as JSON: the event (ACR's column names), its reasons, and the answers now."""
    return {
        "event": audit_json(explained.event),
        "reasons": [finding_json(reason) for reason in explained.reasons],
        "notGranted": [
            {
                "type": denied.type,
                "name": denied.name,
                "action": denied.action,
                "reasons": [finding_json(reason) for reason in denied.reasons],
            }
            for denied in explained.denied
        ],
        "now": [to_json(explanation) for explanation in explained.now],
        "credential": None if explained.credential is None else credential_json(explained.credential),
        "network": None if explained.network is None else network_json(explained.network),
        "notes": list(explained.notes),
    }
