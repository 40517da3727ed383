"""An `Explanation` (or an explained login event) as a tree for people: the verdict first, then the
credential, the network, the permissions mode, every role assignment with its condition trace, the
scope map and the locks. Pure: returns text, prints nothing. Never shows a secret (there is none to show).
"""

from __future__ import annotations

from dockyard.access.decision import SubjectKind
from dockyard.access.roles import PermissionsMode
from dockyard.doctor.explain_event import EventExplanation
from dockyard.doctor.explain_model import AssignmentView, Credential, Explanation, NetworkVerdict, iso
from dockyard.doctor.explain_texts import Finding

YES, NO = "✓", "✗"
_KINDS = {
    SubjectKind.USER: "user",
    SubjectKind.SERVICE_PRINCIPAL: "service principal",
    SubjectKind.MANAGED_IDENTITY: "managed identity",
    SubjectKind.ADMIN_USER: "admin user",
    SubjectKind.REPOSITORY_TOKEN: "repository-scoped token",
    SubjectKind.ANONYMOUS: "anonymous caller",
}
_MODES = {
    PermissionsMode.RBAC: "AcrPull/AcrPush/AcrDelete and Owner/Contributor/Reader decide; Repository roles are ignored",
    PermissionsMode.RBAC_ABAC: (
        "Repository roles with their conditions decide; AcrPull/AcrPush/AcrDelete are ignored; "
        "the catalog needs Catalog Lister"
    ),
}


def render(explanation: Explanation) -> str:
    """The explanation as an indented tree."""
    e = explanation
    target = "the catalog" if e.action == "catalog" else e.repository
    lines = [
        f"{'ALLOWED' if e.allowed else 'DENIED'}: {e.action} on {target} by {e.credential.name} "
        f"({_KINDS[e.credential.kind]}) at {iso(e.at)}",
        *_findings(e.reasons, mark=YES if e.allowed else NO),
        f"  decide(): {e.decision}",
        "credential",
        *_credential(e.credential),
        "network",
        *_network(e.network),
        f"permissions mode: {e.mode.value} ({_MODES[e.mode]}); anonymous pull "
        f"{'enabled' if e.anonymous_pull_enabled else 'disabled'}",
    ]
    if e.credential.kind in (SubjectKind.USER, SubjectKind.SERVICE_PRINCIPAL, SubjectKind.MANAGED_IDENTITY):
        lines.append(f"role assignments considered ({len(e.assignments)})")
        lines += [line for view in e.assignments for line in _assignment(view)] or ["  (none)"]
    if e.scope_map is not None:
        state = "" if e.scope_map.exists else " (does not exist)"
        lines.append(f"scope map {e.scope_map.name}{state}")
        lines += [f"  {YES if matches else '·'} {entry}" for entry, matches in e.scope_map.entries]
    if e.locks:
        lines.append("locks")
        for lock in e.locks:
            flags = [("read", lock.read_enabled), ("write", lock.write_enabled), ("delete", lock.delete_enabled)]
            flags.append(("list", lock.list_enabled))
            lines.append(f"  {lock.target}: " + " ".join(f"{name} {YES if on else NO}" for name, on in flags))
    if e.notes:
        lines += ["notes", *(f"  - {note}" for note in e.notes)]
    return "\n".join(lines)


def _findings(findings: tuple[Finding, ...], mark: str, indent: str = "  ") -> list[str]:
    lines = []
    for each in findings:
        lines.append(f"{indent}{mark} {each}: {each.text}")
        if each.fix:
            lines.append(f"{indent}    fix: {each.fix}")
    return lines


def _credential(c: Credential) -> list[str]:
    state = "enabled" if c.enabled else "disabled"
    lines = [f"  {NO if c.refusal else YES} {_KINDS[c.kind]} {c.name} ({c.id}; found by {c.matched_by}), {state}"]
    if c.refusal is not None:
        lines += _findings((c.refusal,), NO, "    ")
    secret_kind = "password" if c.kind is SubjectKind.REPOSITORY_TOKEN else "client secret"
    for secret in c.secrets:
        verb = "expired" if secret.expired else "expires"
        when = "never expires" if secret.expiry is None else f"{verb} {iso(secret.expiry)}"
        lines.append(f"    {NO if secret.expired else YES} {secret_kind} {secret.name}: {when}")
    lines += [f"    {YES} federated credential {name}" for name in c.federated_credentials]
    lines += [f"    note: {note}" for note in c.notes]
    return lines


def _network(network: NetworkVerdict | None) -> list[str]:
    if network is None:
        return ["  - not checked (give --ip <client address>)"]
    verdict = "admitted" if network.admitted else f"refused ({network.reason})"
    return [f"  {YES if network.admitted else NO} {network.ip} {verdict}: {network.rule}"]


def _assignment(view: AssignmentView) -> list[str]:
    through = f"through group {view.principal_name}" if view.through_group else f"to {view.principal_name}"
    decided = " [named by decide()]" if view.named_by_decision else ""
    lines = [
        f"  {YES if view.grants else NO} {view.role} over {view.scope}, {through} ({view.id}){decided}",
        f"      {view.outcome}: {view.text}",
    ]
    if view.condition is not None:
        lines.append(f"      condition: {view.condition}")
        lines += [f"        {line}" for line in view.trace]
        lines += [f"      warning: {warning}" for warning in view.warnings]
    return lines


def render_event(explained: EventExplanation) -> str:
    """An explained login event: what was logged, what its reasons mean, and the answer now."""
    event = explained.event
    lines = [
        f"login event {event.correlation_id}: {event.result_type.value} {event.operation_name.value} "
        f"by {event.identity_name or event.identity} ({event.identity}) from {event.caller_ip_address or '?'} "
        f"at {iso(event.time_generated)}",
        f"  logged reason: {event.reason or '(none)'}",
        *_findings(explained.reasons, NO),
    ]
    for denied in explained.denied:
        lines.append(f"  not granted: {denied.type}:{denied.name}:{denied.action}")
        lines += _findings(denied.reasons, NO, "    ")
    if explained.credential is not None:
        lines += ["the identity now", *_credential(explained.credential)]
    if explained.network is not None:
        lines += ["the caller's address under today's rules", *_network(explained.network)]
    for now in explained.now:
        lines += ["", "explained now:", render(now)]
    lines += [f"note: {note}" for note in explained.notes]
    return "\n".join(lines)
