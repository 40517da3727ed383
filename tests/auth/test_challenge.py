"""The challenge tells the client where to get a token and for which scope, in ACR's words."""

from __future__ import annotations

from dockyard.auth.access import Access
from dockyard.auth.challenge import authentication_challenge, bearer_challenge, scope_of

REALM = "https://registry.example.com/oauth2/token"


def test_the_base_challenge_names_realm_and_service_only() -> None:
    assert bearer_challenge(REALM, "registry.example.com") == (
        'Bearer realm="https://registry.example.com/oauth2/token",service="registry.example.com"'
    )


def test_a_resource_challenge_names_the_scope_with_actions_joined() -> None:
    accesses = [Access("repository", "team/app", "pull"), Access("repository", "team/app", "push")]
    assert bearer_challenge(REALM, "r", accesses).endswith(',scope="repository:team/app:pull,push"')


def test_the_catalog_scope_is_registry_catalog_star() -> None:
    assert scope_of([Access("registry", "catalog", "*")]) == "registry:catalog:*"


def test_a_token_without_the_action_gets_insufficient_scope() -> None:
    challenge = bearer_challenge(REALM, "r", [Access("repository", "a", "push")], insufficient_scope=True)
    assert challenge.endswith(',error="insufficient_scope"')


def test_the_challenge_carries_acr_text_and_the_missing_access_as_detail() -> None:
    challenge = authentication_challenge(REALM, "r", [Access("repository", "a", "pull")])
    assert challenge.message.startswith("authentication required, visit https://aka.ms/acr/authorization")
    assert challenge.detail == [{"Type": "repository", "Name": "a", "Action": "pull"}]


def test_quotes_in_values_are_escaped() -> None:
    assert 'service="a\\"b"' in bearer_challenge(REALM, 'a"b')
