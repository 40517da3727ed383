"""`explain()` over the seed's authorization and credential causes, each built in real stores on a temp
data directory: the verdict is `decide()`'s (called here on its own, with the subject the token service
builds), and the first reason code and its sentence name the cause."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockyard.access.decide import decide
from dockyard.access.decision import Decision, Resource
from dockyard.access.model import TokenPasswordName
from dockyard.access.roles import PermissionsMode
from dockyard.content.locks import attributes_of, set_attributes
from dockyard.content.manifests import put_manifest
from dockyard.content.registry import Registry
from dockyard.directory.model import Principal
from dockyard.doctor.explain import ExplainedAction, explain
from dockyard.doctor.explain_identity import IdentityNotResolved, resolve
from dockyard.doctor.explain_model import to_json
from dockyard.doctor.explain_stores import ExplainStores, open_stores
from dockyard.network.rules import DefaultAction
from dockyard.properties.store import NetworkList
from dockyard.settings import Settings
from dockyard.storage import open_blob_store
from tests.oci import OCI_MANIFEST, canonical, image_manifest, random_blob

NOW = time.time()
DAY = 86400.0
REPOSITORY = "team/app"
WRITER = "Container Registry Repository Writer"
ONLY_TEAM_B = "@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWith 'team-b/'"


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[ExplainStores]:
    with open_stores(Settings(data_dir=tmp_path)) as opened:
        yield opened


@dataclass(frozen=True)
class Case:
    """A cause built in the stores: `arrange` returns the identity to explain (and may set `ip`)."""

    name: str
    arrange: Callable[[ExplainStores], str]
    action: ExplainedAction
    first_code: str
    sentence: str  # a part of the first reason's sentence
    ip: str | None = None
    at: float = NOW


def _user(stores: ExplainStores, name: str, role: str | None, **assignment: str) -> Principal:
    user = stores.service.directory.create_user(name, "a password long enough", name.title())
    if role is not None:
        stores.service.tokens.create_assignment(user.object_id, role, **assignment)  # type: ignore[arg-type]
    return user


def _mode(stores: ExplainStores, mode: PermissionsMode) -> None:
    stores.service.properties.set_role_assignment_mode(mode)


def acrpull_pushing(stores: ExplainStores) -> str:
    return _user(stores, "puller", "AcrPull").user_name or ""


def legacy_acrpush_in_abac(stores: ExplainStores) -> str:
    principal = stores.service.directory.create_service_principal("ci")
    stores.service.directory.add_secret(principal.app_id or "", end_date=NOW + DAY)
    stores.service.tokens.create_assignment(principal.object_id, "AcrPush")
    _mode(stores, PermissionsMode.RBAC_ABAC)
    return principal.app_id or ""


def writer_with_condition_excluding(stores: ExplainStores) -> str:
    _mode(stores, PermissionsMode.RBAC_ABAC)
    return _user(stores, "writer", WRITER, condition=ONLY_TEAM_B).object_id


def catalog_without_lister(stores: ExplainStores) -> str:
    _mode(stores, PermissionsMode.RBAC_ABAC)
    return _user(stores, "reader", "Container Registry Repository Reader").user_name or ""


def disabled_principal(stores: ExplainStores) -> str:
    user = _user(stores, "gone", "AcrPush")
    stores.service.directory.set_enabled(user.object_id, False)
    return "Gone"  # by display name


def expired_secret(stores: ExplainStores) -> str:
    principal = stores.service.directory.create_service_principal("nightly")
    assert principal.app_id is not None
    stores.service.directory.add_secret(principal.app_id, end_date=NOW + DAY)
    stores.service.tokens.create_assignment(principal.object_id, "AcrPush")
    return principal.app_id


def expired_token_password(stores: ExplainStores) -> str:
    stores.service.tokens.create_token("deployer", "_repositories_push", expiry=NOW + DAY)
    return "token:deployer"


def token_outside_its_scope_map(stores: ExplainStores) -> str:
    stores.service.tokens.create_scope_map("team-b-push", ["repositories/team-b/*/content/write"])
    stores.service.tokens.create_token("team-b-bot", "team-b-push")
    return "token:team-b-bot"


def admin_disabled(stores: ExplainStores) -> str:
    return "admin"


def locked_repository(stores: ExplainStores) -> str:
    registry = Registry(stores.metadata, open_blob_store(f"file://{stores.metadata.url.rsplit('/', 1)[0]}/blobs"))
    put_manifest(registry, REPOSITORY, "v1", canonical(image_manifest(random_blob(32), [])), OCI_MANIFEST)
    set_attributes(registry, REPOSITORY, write_enabled=False)
    return _user(stores, "pusher", "AcrPush").object_id


def ip_refused(stores: ExplainStores) -> str:
    stores.service.properties.add_range(NetworkList.IP_RULES, "10.0.0.0/8")
    stores.service.properties.set_default_action(DefaultAction.DENY)
    return _user(stores, "remote", "AcrPush").object_id


CASES = [
    Case("acrpull-pushing", acrpull_pushing, ExplainedAction.PUSH, "no_matching_assignment", "no role assignment"),
    Case(
        "legacy-acrpush-in-rbac-abac",
        legacy_acrpush_in_abac,
        ExplainedAction.PUSH,
        "legacy_role_ignored_in_abac_mode",
        "is ignored in rbac-abac mode",
    ),
    Case(
        "writer-condition-excludes-repository",
        writer_with_condition_excluding,
        ExplainedAction.PUSH,
        "condition_false",
        "condition of role assignment",
    ),
    Case(
        "catalog-without-catalog-lister",
        catalog_without_lister,
        ExplainedAction.CATALOG,
        "catalog_needs_catalog_lister",
        "Catalog Lister",
    ),
    Case("disabled-principal", disabled_principal, ExplainedAction.PULL, "principal_disabled", "is disabled"),
    Case(
        "expired-client-secret",
        expired_secret,
        ExplainedAction.PUSH,
        "secret_expired",
        "client secret has expired",
        at=NOW + 2 * DAY,
    ),
    Case(
        "expired-token-password",
        expired_token_password,
        ExplainedAction.PUSH,
        "token_password_expired",
        "password of token deployer has expired",
        at=NOW + 2 * DAY,
    ),
    Case(
        "token-scope-map-lacks-repository",
        token_outside_its_scope_map,
        ExplainedAction.PUSH,
        "not_in_scope_map",
        "scope map team-b-push does not allow",
    ),
    Case("admin-user-disabled", admin_disabled, ExplainedAction.PULL, "admin_user_disabled", "admin user is disabled"),
    Case(
        "locked-repository",
        locked_repository,
        ExplainedAction.PUSH,
        "repository_write_disabled",
        "locked for writing",
    ),
    Case(
        "ip-refused-by-the-rules",
        ip_refused,
        ExplainedAction.PUSH,
        "default_action_deny",
        "no IP rule holds",
        ip="203.0.113.7",
    ),
]


def _decide_as_enforcement_does(stores: ExplainStores, identity: str, case: Case) -> Decision:
    """`decide()` on its own, with the subject the token service builds and the repository's locks."""
    subject = resolve(stores.service, identity, case.at).subject
    if case.action is ExplainedAction.CATALOG:
        resource, locks = Resource("registry", "catalog"), None
    else:
        flags = stores.metadata.attributes(REPOSITORY)
        resource, locks = Resource("repository", REPOSITORY), attributes_of(flags) if flags is not None else None
    return decide(subject, case.action.docker_action, resource, stores.service.policy(), case.at, locks)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_explain_names_the_cause_and_agrees_with_decide(stores: ExplainStores, case: Case) -> None:
    identity = case.arrange(stores)

    explanation = explain(stores, identity, REPOSITORY, case.action, case.at, ip=case.ip)

    decision = _decide_as_enforcement_does(stores, identity, case)
    assert explanation.decision == decision
    assert not explanation.allowed
    assert explanation.codes[0] == case.first_code
    assert case.sentence in explanation.reasons[0].text
    assert explanation.reasons[0].fix
    if explanation.credential.refusal is None and explanation.network is None:
        assert explanation.codes == decision.codes  # an authorization cause: the reasons are decide()'s


def test_pushing_with_acrpush_through_a_group_is_allowed_and_names_the_group(stores: ExplainStores) -> None:
    user = _user(stores, "member", None)
    group = stores.service.directory.create_group("Builders")
    stores.service.directory.add_member(group.object_id, user.object_id)
    assignment = stores.service.tokens.create_assignment(group.object_id, "AcrPush")

    explanation = explain(stores, "member", REPOSITORY, "push", NOW)

    assert explanation.allowed
    assert explanation.codes == ("granted_by_assignment",)
    (view,) = explanation.assignments
    assert (view.id, view.through_group, view.principal_name, view.grants) == (assignment.id, True, "Builders", True)
    assert view.named_by_decision


def test_a_condition_is_shown_with_its_trace(stores: ExplainStores) -> None:
    identity = writer_with_condition_excluding(stores)

    (view,) = explain(stores, identity, REPOSITORY, "push", NOW).assignments

    assert view.outcome == "condition_false"
    assert view.trace == (f"false {ONLY_TEAM_B}",)


def test_an_expired_secret_is_named_and_at_before_expiry_signs_in(stores: ExplainStores) -> None:
    app_id = expired_secret(stores)

    before = explain(stores, app_id, REPOSITORY, "push", NOW)
    after = explain(stores, app_id, REPOSITORY, "push", NOW + 2 * DAY)

    assert before.allowed and before.credential.refusal is None
    assert [secret.expired for secret in after.credential.secrets] == [True]
    assert after.credential.refusal is not None and after.credential.refusal.code == "secret_expired"


def test_a_token_shows_its_scope_map_and_password_expiry(stores: ExplainStores) -> None:
    token_outside_its_scope_map(stores)

    explanation = explain(stores, "token:team-b-bot", "team-b/api", "push", NOW)

    assert explanation.allowed
    assert explanation.scope_map is not None
    assert explanation.scope_map.entries == (("repositories/team-b/*/content/write", True),)
    assert [s.name for s in explanation.credential.secrets] == [n.value for n in TokenPasswordName]


def test_json_names_the_verdict_and_never_a_secret(stores: ExplainStores) -> None:
    identity = expired_secret(stores)

    document = to_json(explain(stores, identity, REPOSITORY, "push", NOW + 2 * DAY))

    assert document["verdict"] == "denied"
    assert document["reasons"][0]["code"] == "secret_expired"
    assert "hint" not in str(document)


def test_a_group_or_an_unknown_name_is_not_an_identity(stores: ExplainStores) -> None:
    stores.service.directory.create_group("Builders")
    for name in ("Builders", "nobody"):
        with pytest.raises(IdentityNotResolved):
            explain(stores, name, REPOSITORY, "pull", NOW)


def test_a_locked_tag_refuses_what_the_repository_allows(stores: ExplainStores) -> None:
    identity = locked_repository(stores)
    registry = Registry(stores.metadata, open_blob_store(f"file://{stores.metadata.url.rsplit('/', 1)[0]}/blobs"))
    set_attributes(registry, REPOSITORY, write_enabled=True)
    set_attributes(registry, REPOSITORY, tag="v1", write_enabled=False)

    explanation = explain(stores, identity, REPOSITORY, "push", NOW, tag="v1")

    assert explanation.decision.allowed  # decide() reads the repository's own locks
    assert not explanation.allowed
    assert explanation.codes == ("image_write_disabled",)
    assert [lock.target for lock in explanation.locks][:2] == [f"repository {REPOSITORY}", "tag v1"]
