"""The provisional decision rule, until role assignments land: every decision says why."""

from __future__ import annotations

import pytest

from dockyard.access.decide import RegistryPolicy, decide
from dockyard.access.decision import ANONYMOUS, Decision, Reason, Resource, Subject, SubjectKind

REPO = Resource("repository", "team/app")
CATALOG = Resource("registry", "catalog")
OPEN = RegistryPolicy(anonymous_pull_enabled=True)
CLOSED = RegistryPolicy()
USER = Subject(SubjectKind.USER, "0b3c…", "alice")


def test_anonymous_pull_is_allowed_only_when_enabled() -> None:
    assert decide(ANONYMOUS, "pull", REPO, OPEN, 0) == Decision.allow(Reason.ANONYMOUS_PULL_ENABLED)
    assert decide(ANONYMOUS, "pull", REPO, CLOSED, 0) == Decision.deny(Reason.ANONYMOUS_PULL_DISABLED)


@pytest.mark.parametrize(("action", "resource"), [("push", REPO), ("delete", REPO), ("*", CATALOG)])
def test_anonymous_callers_never_write_or_list_the_catalog(action: str, resource: Resource) -> None:
    assert decide(ANONYMOUS, action, resource, OPEN, 0) == Decision.deny(Reason.ANONYMOUS_CANNOT_WRITE)


def test_the_bootstrap_owner_may_do_everything() -> None:
    owner = Subject(SubjectKind.USER, "1", "owner", bootstrap_owner=True)
    assert decide(owner, "delete", REPO, CLOSED, 0) == Decision.allow(Reason.BOOTSTRAP_OWNER)


def test_a_disabled_principal_is_refused_whatever_it_holds() -> None:
    disabled = Subject(SubjectKind.USER, "1", "owner", enabled=False, bootstrap_owner=True)
    assert decide(disabled, "pull", REPO, CLOSED, 0) == Decision.deny(Reason.PRINCIPAL_DISABLED)


def test_an_unknown_action_is_refused() -> None:
    assert decide(USER, "metadata_write", REPO, CLOSED, 0) == Decision.deny(Reason.UNKNOWN_ACTION)


def test_an_authenticated_principal_may_push_under_the_provisional_rule() -> None:
    assert decide(USER, "push", REPO, CLOSED, 0) == Decision.allow(Reason.AUTHENTICATED_PRINCIPAL)
