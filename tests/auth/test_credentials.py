"""Authorization headers are parsed defensively: what the client sent, or a clear refusal."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockyard.auth.credentials import (
    BasicCredentials,
    BearerCredentials,
    CredentialsMalformed,
    parse_authorization,
)


def _basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


def test_no_header_means_no_credentials() -> None:
    assert parse_authorization(None) is None


def test_basic_credentials_split_at_the_first_colon() -> None:
    assert parse_authorization(_basic("admin:pa:ss")) == BasicCredentials("admin", "pa:ss")


def test_the_scheme_is_case_insensitive() -> None:
    assert parse_authorization("bearer abc.def.ghi") == BearerCredentials("abc.def.ghi")


@pytest.mark.parametrize(
    "header",
    ["Basic !!!notbase64", _basic("no-colon"), _basic(":password-without-user"), "Digest x", "Bearer ", "Basic"],
)
def test_malformed_headers_are_refused(header: str) -> None:
    with pytest.raises(CredentialsMalformed):
        parse_authorization(header)


def test_an_absurdly_large_header_is_refused() -> None:
    with pytest.raises(CredentialsMalformed, match="too large"):
        parse_authorization("Bearer " + "a" * 20000)


def test_the_password_never_appears_in_the_repr() -> None:
    assert "s3cret" not in repr(BasicCredentials("user", "s3cret"))


@given(st.text(max_size=300))
def test_any_header_parses_or_is_refused_cleanly(header: str) -> None:
    with contextlib.suppress(CredentialsMalformed):
        parse_authorization(header)
