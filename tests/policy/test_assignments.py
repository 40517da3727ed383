"""Role assignments: made, refused, found, listed and deleted."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from dockyard.access.roles import DataAction, RoleDefinition
from dockyard.policy.errors import (
    AssignmentNotFound,
    ConditionInvalid,
    ConditionNotAllowed,
    DescriptionInvalid,
    PrincipalNotFound,
    RepositoryInvalid,
    RoleNotFound,
)
from dockyard.policy.validation import check_condition
from tests.policy import CONDITION, OTHER_PRINCIPAL, PRINCIPAL, READER, Clock, new_store


def test_an_assignment_is_made_over_the_registry_by_default(tmp_path: Path) -> None:
    store = new_store(tmp_path, Clock(1234.0))

    assignment = store.create_assignment(PRINCIPAL, "AcrPull", description="CI pulls")

    assert (assignment.principal_id, assignment.role, assignment.repository) == (PRINCIPAL, "AcrPull", None)
    assert (assignment.scope, assignment.description, assignment.created_at) == ("registry", "CI pulls", 1234.0)
    assert uuid.UUID(assignment.id).version == 4
    assert store.get_assignment(assignment.id) == assignment


def test_an_assignment_may_be_scoped_to_one_repository(tmp_path: Path) -> None:
    assignment = new_store(tmp_path).create_assignment(PRINCIPAL, "AcrPush", repository="team-a/api")

    assert assignment.scope == "repositories/team-a/api"


def test_the_role_is_recorded_as_it_is_defined_whatever_case_it_was_given_in(tmp_path: Path) -> None:
    assert new_store(tmp_path).create_assignment(PRINCIPAL, "acrpull").role == "AcrPull"


def test_a_custom_role_may_be_assigned(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_role(RoleDefinition("Puller", "", data_actions=frozenset({DataAction.PULL})))

    assert store.create_assignment(PRINCIPAL, "puller").role == "Puller"


def test_assigning_an_unknown_role_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RoleNotFound):
        new_store(tmp_path).create_assignment(PRINCIPAL, "AcrPuller")


def test_a_condition_is_kept_with_its_assignment(tmp_path: Path) -> None:
    store = new_store(tmp_path)

    assignment = store.create_assignment(PRINCIPAL, READER, condition=CONDITION)

    assert store.get_assignment(assignment.id) == assignment
    assert assignment.condition == CONDITION


@pytest.mark.parametrize("role", ["AcrPull", "Container Registry Repository Catalog Lister", "Owner"])
def test_a_condition_on_a_role_that_takes_none_is_refused(tmp_path: Path, role: str) -> None:
    store = new_store(tmp_path)

    with pytest.raises(ConditionNotAllowed):
        store.create_assignment(PRINCIPAL, role, condition=CONDITION)
    assert store.list_assignments() == []


def test_a_condition_on_acrpull_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConditionNotAllowed, match="AcrPull"):
        new_store(tmp_path).create_assignment(PRINCIPAL, "AcrPull", condition=CONDITION)


def test_a_blank_condition_is_no_condition(tmp_path: Path) -> None:
    assert new_store(tmp_path).create_assignment(PRINCIPAL, "AcrPull", condition="  ").condition is None


def test_a_malformed_condition_is_refused_with_its_position_and_nothing_is_saved(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    malformed = "(ActionMatches{'x'}\n  AND @Resource[foo] StringEquals 'a')"

    with pytest.raises(ConditionInvalid) as refused:
        store.create_assignment(PRINCIPAL, READER, condition=malformed)

    assert (refused.value.line, refused.value.column, refused.value.position) == (2, 17, 36)
    assert "line 2, column 17" in refused.value.message
    assert store.list_assignments() == []


def test_an_overlong_condition_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConditionInvalid):
        new_store(tmp_path).create_assignment(PRINCIPAL, READER, condition=CONDITION + " " * 9000)


def test_a_prefix_without_a_trailing_slash_is_warned_of() -> None:
    warnings = check_condition(CONDITION.replace("'team-a/'", "'team-a'"))

    assert len(warnings) == 1 and "team-a-infra" in warnings[0]


def test_assigning_to_a_principal_the_directory_does_not_know_is_refused(tmp_path: Path) -> None:
    store = new_store(tmp_path, principal_exists=lambda object_id: object_id == OTHER_PRINCIPAL)

    with pytest.raises(PrincipalNotFound):
        store.create_assignment(PRINCIPAL, "AcrPull")
    assert store.create_assignment(OTHER_PRINCIPAL, "AcrPull").principal_id == OTHER_PRINCIPAL


@pytest.mark.parametrize("repository", ["", "Team-A/api", "team-a/", "/api", "a..b", "team a", "x" * 256])
def test_a_repository_must_be_a_valid_repository_name(tmp_path: Path, repository: str) -> None:
    with pytest.raises(RepositoryInvalid):
        new_store(tmp_path).create_assignment(PRINCIPAL, "AcrPull", repository=repository)


def test_an_overlong_description_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DescriptionInvalid):
        new_store(tmp_path).create_assignment(PRINCIPAL, "AcrPull", description="x" * 2049)


def test_making_the_same_assignment_twice_returns_the_first(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    first = store.create_assignment(PRINCIPAL, READER, repository="team-a/api", condition=CONDITION)

    again = store.create_assignment(PRINCIPAL, READER.upper(), repository="team-a/api", condition=CONDITION)

    assert again == first
    assert store.list_assignments() == [first]


def test_the_same_role_over_another_scope_is_another_assignment(tmp_path: Path) -> None:
    clock = Clock()
    store = new_store(tmp_path, clock)
    registry_wide = store.create_assignment(PRINCIPAL, "AcrPull")
    clock.advance(1)

    one_repository = store.create_assignment(PRINCIPAL, "AcrPull", repository="team-a/api")

    assert one_repository != registry_wide
    assert store.list_assignments() == [registry_wide, one_repository]


def test_assignments_are_listed_by_principal_and_by_role(tmp_path: Path) -> None:
    clock = Clock()
    store = new_store(tmp_path, clock)
    pull = store.create_assignment(PRINCIPAL, "AcrPull")
    clock.advance(1)
    push = store.create_assignment(PRINCIPAL, "AcrPush")
    clock.advance(1)
    other = store.create_assignment(OTHER_PRINCIPAL, "AcrPull")

    assert store.list_assignments() == [pull, push, other]
    assert store.list_assignments(principal_id=PRINCIPAL) == [pull, push]
    assert store.list_assignments(role="acrpull") == [pull, other]
    assert store.list_assignments(principal_id=OTHER_PRINCIPAL, role="AcrPush") == []


def test_a_deleted_assignment_is_gone(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    assignment = store.create_assignment(PRINCIPAL, "AcrPull")

    store.delete_assignment(assignment.id)

    assert store.get_assignment(assignment.id) is None
    assert store.list_assignments() == []


def test_deleting_an_unknown_assignment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AssignmentNotFound):
        new_store(tmp_path).delete_assignment(str(uuid.uuid4()))
