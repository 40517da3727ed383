"""`decide()`: may this subject perform this action on this resource now?

Pure: no I/O, the clock and the registry's properties come in as arguments. Until role
assignments exist (see the authorization issue), the rule is deliberately simple: the bootstrap
owner and the admin user may do everything, any other enabled, authenticated principal may too,
and anonymous callers may pull only when anonymous pull is enabled.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.access.decision import Action, Decision, Reason, Resource, Subject, SubjectKind


@dataclass(frozen=True)
class RegistryPolicy:
    """The registry properties a decision depends on."""

    anonymous_pull_enabled: bool = False


def decide(subject: Subject, action: str, resource: Resource, policy: RegistryPolicy, now: float) -> Decision:
    """The decision, with its reasons, for one action on one resource."""
    if action not in set(Action):
        return Decision.deny(Reason.UNKNOWN_ACTION)
    if subject.kind is SubjectKind.ANONYMOUS:
        if action != Action.PULL or resource.type != "repository":
            return Decision.deny(Reason.ANONYMOUS_CANNOT_WRITE)
        if policy.anonymous_pull_enabled:
            return Decision.allow(Reason.ANONYMOUS_PULL_ENABLED)
        return Decision.deny(Reason.ANONYMOUS_PULL_DISABLED)
    if not subject.enabled:
        return Decision.deny(Reason.PRINCIPAL_DISABLED)
    if subject.bootstrap_owner:
        return Decision.allow(Reason.BOOTSTRAP_OWNER)
    if subject.kind is SubjectKind.ADMIN_USER:
        return Decision.allow(Reason.ADMIN_USER)
    return Decision.allow(Reason.AUTHENTICATED_PRINCIPAL)
