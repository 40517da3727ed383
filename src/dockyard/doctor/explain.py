"""`explain()`: why an identity may or may not pull, push, delete or list the catalog — for an operator,
on the server's own data.

The verdict is built from `decide()`'s `Decision`, called with the subject the token service builds,
the policy the token service reads and the repository's locks, so it can never disagree with
enforcement; the network rules are `admit()`'s and the credential state is the sign-in's. Everything
else in an `Explanation` — the assignments, condition traces, scope map, locks — is context. This
module reads stores and decides nothing itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from dockyard.access.decide import decide
from dockyard.access.decision import Decision, Resource, SubjectKind
from dockyard.access.model import ChangeableAttributes
from dockyard.access.policy import Policy
from dockyard.content.locks import attributes_of
from dockyard.doctor.explain_assignments import assignments, scope_map_view
from dockyard.doctor.explain_identity import Resolved, credential, resolve
from dockyard.doctor.explain_model import AssignmentView, Explanation, LockView, NetworkVerdict
from dockyard.doctor.explain_stores import ExplainStores
from dockyard.doctor.explain_texts import Finding, finding, of_because
from dockyard.metadata.locks import Flags
from dockyard.network.rules import NetworkReason, NetworkRules, admit_client


class ExplainedAction(StrEnum):
    """What `explain` can be asked about, and the Docker action `decide()` takes for each."""

    PULL = "pull"
    PUSH = "push"
    DELETE = "delete"
    CATALOG = "catalog"

    @property
    def docker_action(self) -> str:
        """The action as the token spec and `decide()` name it (`*` on `registry:catalog`)."""
        return "*" if self is ExplainedAction.CATALOG else self.value


# Docker action -> (the attribute that must be enabled, the verb ACR's attribute is named for)
_LOCK_FLAGS = {
    "pull": ("read_enabled", "read"),
    "push": ("write_enabled", "write"),
    "delete": ("delete_enabled", "delete"),
}


def explain(
    stores: ExplainStores,
    identity: str,
    repository: str,
    action: ExplainedAction | str,
    at: float,
    ip: str | None = None,
    tag: str | None = None,
) -> Explanation:
    """Why `identity` may or may not do `action` on `repository` at time `at`, from the client address
    `ip` (not checked when None), for `tag` when given (its locks count too).

    Raises `IdentityNotResolved` when `identity` names nobody who signs in."""
    action = ExplainedAction(action)
    service = stores.service
    resolved = resolve(service, identity, at)
    state = credential(service, resolved, at)
    properties = service.properties.current()
    policy = service.policy()
    docker_action = action.docker_action
    catalog = action is ExplainedAction.CATALOG
    resource = Resource("registry", "catalog") if catalog else Resource("repository", repository)
    locks = _locks(stores, repository, tag) if resource.type == "repository" else ()
    repository_locks = _repository_locks(locks)
    decision = decide(resolved.subject, docker_action, resource, policy, at, locks=repository_locks)
    network = network_verdict(ip, properties.network_rules) if ip is not None else None
    refusals = _refusals(network, state.refusal, decision, _tag_refusal(locks, docker_action))
    return Explanation(
        identity=identity,
        repository=resource.name,
        action=action.value,
        at=at,
        allowed=not refusals,
        reasons=refusals or tuple(of_because(r) for r in decision.reasons),
        decision=decision,
        credential=state,
        network=network,
        mode=policy.mode,
        anonymous_pull_enabled=policy.anonymous_pull_enabled,
        assignments=_assignments(stores, resolved, docker_action, resource, policy, decision),
        scope_map=scope_map_view(resolved.subject.scope_map or "", docker_action, resource, policy.scope_maps)
        if resolved.subject.kind is SubjectKind.REPOSITORY_TOKEN
        else None,
        locks=locks,
        notes=_notes(ip, tag, resource, locks),
    )


def _refusals(
    network: NetworkVerdict | None, sign_in: Finding | None, decision: Decision, tag_lock: Finding | None
) -> tuple[Finding, ...]:
    """Every refusal, in the order a request meets them: network rules, sign-in, decide(), tag locks."""
    refusals = [
        *([finding(network.reason)] if network is not None and not network.admitted else []),
        *([sign_in] if sign_in is not None else []),
        *(of_because(reason) for reason in decision.reasons if not decision.allowed),
        *([tag_lock] if tag_lock is not None else []),
    ]
    return tuple(_unique(refusals))


def _assignments(
    stores: ExplainStores, resolved: Resolved, action: str, resource: Resource, policy: Policy, decision: Decision
) -> tuple[AssignmentView, ...]:
    if resolved.principal is None:
        return ()
    subject = resolved.subject
    directory = stores.service.directory
    names = {subject.id: subject.name}
    for group_id in subject.groups:
        group = directory.get_principal(group_id)
        names[group_id] = group.display_name if group is not None else group_id
    return assignments(subject, action, resource, policy, decision, names)


def network_verdict(ip: str, rules: NetworkRules) -> NetworkVerdict:
    """`admit()` for `ip` under `rules`, naming the rule that decided."""
    verdict = admit_client(ip, rules)
    if verdict.rule is not None:
        kind = "trusted network" if verdict.reason is NetworkReason.TRUSTED_NETWORK else "IP rule"
        rule = f"{kind} {verdict.rule}"
    elif verdict.reason is NetworkReason.PUBLIC_ACCESS_DISABLED:
        rule = "publicNetworkAccess Disabled (and no trusted network holds the address)"
    elif verdict.reason is NetworkReason.DEFAULT_ACTION_ALLOW:
        rule = "default action Allow"
    else:
        listed = ", ".join(str(network) for network in rules.ip_rules) or "none"
        rule = f"default action {rules.default_action.value}; no IP rule holds {ip} (IP rules: {listed})"
    return NetworkVerdict(ip, verdict.admitted, verdict.reason.value, rule)


def _locks(stores: ExplainStores, repository: str, tag: str | None) -> tuple[LockView, ...]:
    """The repository's own attributes, then the tag's and its manifest's (when a tag is given)."""
    metadata = stores.metadata
    flags = metadata.attributes(repository)
    if flags is None:
        return ()
    views = [_lock_view(f"repository {repository}", flags)]
    if tag is not None:
        tag_flags = metadata.attributes(repository, tag=tag)
        manifest = metadata.get_manifest(repository, tag, by_digest=False)
        if tag_flags is not None:
            views.append(_lock_view(f"tag {tag}", tag_flags))
        if manifest is not None:
            manifest_flags = metadata.attributes(repository, digest=manifest.digest)
            if manifest_flags is not None:
                views.append(_lock_view(f"manifest {manifest.digest}", manifest_flags))
    return tuple(views)


def _lock_view(target: str, flags: Flags) -> LockView:
    attributes = attributes_of(flags)
    return LockView(
        target, attributes.read_enabled, attributes.write_enabled, attributes.delete_enabled, attributes.list_enabled
    )


def _repository_locks(locks: tuple[LockView, ...]) -> ChangeableAttributes | None:
    if not locks:
        return None
    own = locks[0]
    return ChangeableAttributes(own.read_enabled, own.write_enabled, own.delete_enabled, own.list_enabled)


def _tag_refusal(locks: tuple[LockView, ...], action: str) -> Finding | None:
    """A tag's or its manifest's lock refuses what the repository's allows (the data plane checks every level)."""
    if action not in _LOCK_FLAGS:
        return None
    flag, verb = _LOCK_FLAGS[action]
    for lock in locks[1:]:
        if not getattr(lock, flag):
            return Finding(
                f"image_{verb}_disabled",
                lock.target,
                f"{lock.target} is locked for {verb.removesuffix('e')}ing ({verb}Enabled=false)",
                f"unlock it: dockyard repository update --image <repository>:<tag> --{verb}-enabled true",
            )
    return None


def _notes(ip: str | None, tag: str | None, resource: Resource, locks: tuple[LockView, ...]) -> tuple[str, ...]:
    notes = ["role assignments, the permissions mode and locks are as they are now; --at moves only expiry"]
    if ip is None:
        notes.append("network rules not checked: give --ip <client address>")
    if resource.type == "repository" and not locks:
        notes.append(f"repository {resource.name!r} does not exist yet: nothing locks it")
    elif resource.type == "repository" and tag is None:
        notes.append("only the repository's locks were read: give --tag to check a tag's and its manifest's")
    return tuple(notes)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for each in findings:
        key = (each.code, each.ref)
        if key not in seen:
            seen.add(key)
            unique.append(each)
    return unique
