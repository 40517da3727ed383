"""`diagnose` ranks the true cause first or second for what real clients printed, and knows Dockyard's own words."""

from __future__ import annotations

import pytest

from dockyard.access.decision import Reason
from dockyard.auth.token_service import SignInReason
from dockyard.doctor.diagnose import context_of, diagnose
from dockyard.network.rules import NetworkReason
from tests.doctor.observed import OBSERVED, Observed

# Texts the seed document (and DESIGN.md §1, which restates it) quotes, with the cause it gives for each.
SEED_TEXTS = [
    ("unauthorized: Application not registered with AAD", "unknown-application"),
    (
        "CONNECTIVITY_REFRESH_TOKEN_ERROR. Access to registry was denied. Response code: 403. Unable to get admin "
        "user credentials with message: Admin user is disabled. Unable to authenticate using AAD or admin login "
        "credentials.",
        "admin-user-disabled",
    ),
    ("Error response from daemon: login attempt failed with status: 403 Forbidden", "ip-not-allowed"),
    ("Could not connect to the registry login server", "registry-unreachable"),
]
# Reasons that say why something was allowed, or that no user can cause: nothing to diagnose.
_NOT_FAILURES = {
    Reason.GRANTED_BY_ASSIGNMENT,
    Reason.GRANTED_BY_SCOPE_MAP,
    Reason.ADMIN_USER,
    Reason.ANONYMOUS_PULL_ENABLED,
    Reason.LOCAL_OPERATOR,
    Reason.UNKNOWN_ACTION,
    Reason.SCOPE_MAP_MISSING,
    Reason.ROLE_NOT_FOUND,
    NetworkReason.TRUSTED_NETWORK,
    NetworkReason.IP_RULE_ALLOWED,
    NetworkReason.DEFAULT_ACTION_ALLOW,
    SignInReason.REFRESH_TOKEN_INVALID,
}
_REASONS = sorted({*Reason, *SignInReason, *NetworkReason} - _NOT_FAILURES)


def _rank_of(cause: str, text: str) -> int | None:
    return next((ranked.rank for ranked in diagnose(text) if ranked.cause.id == cause), None)


@pytest.mark.parametrize("observed", OBSERVED, ids=lambda observed: observed.scenario)
def test_the_true_cause_of_a_real_client_error_ranks_first_or_second(observed: Observed) -> None:
    ranks = {cause: _rank_of(cause, observed.text) for cause in observed.causes}

    assert any(rank is not None and rank <= 2 for rank in ranks.values()), (ranks, diagnose(observed.text)[:4])


@pytest.mark.parametrize(("text", "cause"), SEED_TEXTS)
def test_the_seed_documents_messages_point_at_its_causes(text: str, cause: str) -> None:
    assert _rank_of(cause, text) == 1


@pytest.mark.parametrize("reason", _REASONS)
def test_every_failure_reason_dockyard_logs_is_diagnosed_first(reason: str) -> None:
    top = [ranked.cause for ranked in diagnose(f"Reason: {reason}") if ranked.rank == 1]

    assert any(reason in cause.reasons for cause in top), [cause.id for cause in top]


def test_a_text_nothing_matches_has_no_causes() -> None:
    assert diagnose("the weather is fine today") == []


def test_equal_evidence_shares_a_rank_in_a_deterministic_order() -> None:
    text = "client with IP '203.0.113.7' is not allowed access. Refer https://aka.ms/acr/firewall to grant access."

    first, second = diagnose(text)[:2]

    assert (first.cause.id, second.cause.id) == ("ip-not-allowed", "public-access-disabled")
    assert first.rank == second.rank == 1
    assert diagnose(text) == diagnose(text)


def test_the_fix_names_the_address_and_login_server_found_in_the_text() -> None:
    text = (
        "Error response from daemon: pull access denied for registry.example.com/team/app, repository does not "
        "exist or may require 'docker login': denied: client with IP '203.0.113.7' is not allowed access."
    )
    context = context_of(text)
    ip_rule = next(ranked for ranked in diagnose(text) if ranked.cause.id == "ip-not-allowed")

    assert context == {"login-server": "registry.example.com", "repository": "team/app", "ip": "203.0.113.7"}
    assert any("dockyard network-rule add --ip-address 203.0.113.7/32" in line for line in ip_rule.fix(context))


@pytest.mark.parametrize("observed", [o for o in OBSERVED if "127.0.0.1:" in o.text], ids=lambda o: o.scenario)
def test_the_login_server_is_found_in_real_client_errors(observed: Observed) -> None:
    assert context_of(observed.text).get("login-server", "").startswith("127.0.0.1:")
