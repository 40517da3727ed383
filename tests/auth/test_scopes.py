"""Scopes parse as the Docker token spec writes them, render back the same, and narrow without errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockyard.auth.scopes import (
    MAX_SCOPES,
    Scope,
    ScopeInvalid,
    access_claim,
    format_scope,
    intersect,
    parse_scope,
    parse_scopes,
)

components = st.from_regex(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*", fullmatch=True)
hosts = st.sampled_from(["", "localhost:5000/", "registry.example.com/", "reg-1.example:443/", "[::1]:5000/"])
repository_names = st.builds(
    lambda host, parts: host + "/".join(parts), hosts, st.lists(components, min_size=1, max_size=4)
)
actions = st.sampled_from(["pull", "push", "delete", "*", "metadata_read"]) | st.from_regex(
    r"[a-z][a-z0-9_-]{0,12}", fullmatch=True
)
action_sets = st.frozensets(actions, min_size=1, max_size=5)
repository_scopes = st.builds(
    Scope,
    type=st.just("repository"),
    name=repository_names,
    actions=action_sets,
    resource_class=st.none() | st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True),
)


def test_repository_scope_parses_type_name_and_actions() -> None:
    assert parse_scope("repository:library/alpine:pull,push") == Scope(
        "repository", "library/alpine", frozenset({"pull", "push"})
    )


def test_name_holding_a_host_and_port_keeps_the_port() -> None:
    scope = parse_scope("repository:localhost:5000/foo:pull")
    assert (scope.type, scope.name, scope.actions) == ("repository", "localhost:5000/foo", frozenset({"pull"}))


def test_plugin_resource_class_is_split_from_the_type() -> None:
    scope = parse_scope("repository(plugin):vendor/thing:pull")
    assert (scope.type, scope.resource_class, scope.name) == ("repository", "plugin", "vendor/thing")


def test_catalog_scope_asks_for_every_action() -> None:
    assert parse_scope("registry:catalog:*") == Scope("registry", "catalog", frozenset({"*"}))


def test_actions_beyond_pull_push_delete_are_kept() -> None:
    assert parse_scope("repository:foo:metadata_read,pull").actions == frozenset({"metadata_read", "pull"})


def test_several_values_each_with_several_scopes_all_parse() -> None:
    scopes = parse_scopes(["repository:a:pull repository:b:push", "registry:catalog:*"])
    assert [(scope.type, scope.name) for scope in scopes] == [
        ("repository", "a"),
        ("repository", "b"),
        ("registry", "catalog"),
    ]


def test_scopes_on_the_same_resource_merge_their_actions() -> None:
    assert parse_scopes(["repository:a:pull", "repository:a:push"]) == [
        Scope("repository", "a", frozenset({"pull", "push"}))
    ]


def test_empty_scope_values_ask_for_nothing() -> None:
    assert parse_scopes(["", "  "]) == []


@pytest.mark.parametrize(
    "text",
    [
        "repository",
        "repository:foo",
        "Repository:foo:pull",
        "repo(:foo:pull",
        "repository(Plugin):foo:pull",
        ":foo:pull",
        "repository::pull",
        "repository:Foo:pull",
        "repository:foo/:pull",
        "repository:foo//bar:pull",
        "repository:-foo:pull",
        "repository:foo:",
        "repository:foo:pull,,push",
        "repository:foo:PULL",
        "repository:foo:pull!",
        "registry::*",
    ],
)
def test_malformed_scope_is_refused_with_a_message(text: str) -> None:
    with pytest.raises(ScopeInvalid, match="invalid scope"):
        parse_scope(text)


def test_a_malformed_scope_among_good_ones_fails_the_whole_request() -> None:
    with pytest.raises(ScopeInvalid):
        parse_scopes(["repository:a:pull repository:A:pull"])


def test_too_many_scopes_in_one_request_are_refused() -> None:
    with pytest.raises(ScopeInvalid, match="more than"):
        parse_scopes([" ".join(f"repository:r{i}:pull" for i in range(MAX_SCOPES + 1))])


def test_overlong_scope_is_refused() -> None:
    with pytest.raises(ScopeInvalid, match="longer than"):
        parse_scope("repository:" + "a" * 2000 + ":pull")


def test_format_renders_actions_sorted() -> None:
    assert format_scope(Scope("repository", "foo", frozenset({"push", "pull"}))) == "repository:foo:pull,push"


def test_format_renders_the_resource_class() -> None:
    assert format_scope(Scope("repository", "foo", frozenset({"pull"}), "plugin")) == "repository(plugin):foo:pull"


@given(repository_scopes)
def test_formatted_scope_parses_back_to_itself(scope: Scope) -> None:
    assert parse_scope(format_scope(scope)) == scope


@given(st.lists(repository_scopes, min_size=1, max_size=5))
def test_scopes_joined_by_spaces_parse_back_merged(scopes: list[Scope]) -> None:
    parsed = parse_scopes([" ".join(format_scope(scope) for scope in scopes)])
    assert {scope.resource for scope in parsed} == {scope.resource for scope in scopes}
    for scope in parsed:
        assert scope.actions == frozenset().union(*(s.actions for s in scopes if s.resource == scope.resource))


@given(st.text(max_size=60))
def test_arbitrary_text_either_parses_or_raises_scope_invalid(text: str) -> None:
    try:
        scopes = parse_scopes([text])
    except ScopeInvalid:
        return
    assert parse_scopes([format_scope(scope) for scope in scopes]) == scopes


def test_intersection_keeps_only_granted_actions() -> None:
    asked = Scope("repository", "foo", frozenset({"pull", "push", "delete"}))
    assert intersect(asked, {"pull"}).actions == frozenset({"pull"})


def test_asking_for_more_than_allowed_yields_no_actions_not_an_error() -> None:
    asked = Scope("repository", "foo", frozenset({"push"}))
    assert intersect(asked, frozenset()) == Scope("repository", "foo", frozenset())


def test_asking_for_everything_yields_everything_granted() -> None:
    asked = Scope("repository", "foo", frozenset({"*"}))
    assert intersect(asked, {"pull", "push"}).actions == frozenset({"pull", "push"})


def test_a_wildcard_grant_yields_exactly_what_was_asked() -> None:
    asked = Scope("repository", "foo", frozenset({"pull"}))
    assert intersect(asked, {"*"}).actions == frozenset({"pull"})


def test_catalog_wildcard_granted_stays_a_wildcard() -> None:
    asked = Scope("registry", "catalog", frozenset({"*"}))
    assert intersect(asked, {"*"}).actions == frozenset({"*"})


@given(repository_scopes, st.frozensets(actions, max_size=5))
def test_intersection_never_grants_what_was_neither_asked_nor_allowed(asked: Scope, granted: frozenset[str]) -> None:
    result = intersect(asked, granted)
    assert result.resource == asked.resource
    if "*" not in granted:
        assert result.actions <= granted
    if "*" not in asked.actions:
        assert result.actions <= asked.actions


def test_access_claim_lists_type_name_and_sorted_actions() -> None:
    scopes = parse_scopes(["repository:foo:push,pull registry:catalog:*"])
    assert access_claim(scopes) == [
        {"type": "repository", "name": "foo", "actions": ["pull", "push"]},
        {"type": "registry", "name": "catalog", "actions": ["*"]},
    ]


def test_access_claim_names_the_class_only_when_there_is_one() -> None:
    claim = access_claim([Scope("repository", "foo", frozenset({"pull"}), "plugin")])
    assert claim == [{"type": "repository", "name": "foo", "actions": ["pull"], "class": "plugin"}]
