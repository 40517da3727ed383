"""Credentials as they arrive in an `Authorization` header: Basic and Bearer, parsed defensively.

Nothing here looks a credential up; it only says what the client sent. Secrets never appear in
exception messages.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

MAX_HEADER_BYTES = 16 * 1024


class CredentialsMalformed(ValueError):
    """The header is present but cannot be understood; the message is safe to show."""


@dataclass(frozen=True)
class BasicCredentials:
    """A user name and password from `Authorization: Basic`."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class BearerCredentials:
    """A token from `Authorization: Bearer`."""

    token: str = field(repr=False)


Credentials = BasicCredentials | BearerCredentials


def parse_authorization(header: str | None) -> Credentials | None:
    """The credentials in an `Authorization` header value; None when there is no header.

    Raises `CredentialsMalformed` for an unknown scheme, bad base64, a missing ':' or an
    oversized value.
    """
    if header is None:
        return None
    if len(header) > MAX_HEADER_BYTES:
        raise CredentialsMalformed("the Authorization header is too large")
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        if not value or not value.isascii():
            raise CredentialsMalformed("the bearer token is empty or not ASCII")
        return BearerCredentials(value)
    if scheme.lower() == "basic":
        return _parse_basic(value)
    raise CredentialsMalformed("unsupported authorization scheme; use Basic or Bearer")


def _parse_basic(value: str) -> BasicCredentials:
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise CredentialsMalformed("the Basic credentials are not valid base64 of UTF-8 text") from None
    username, sep, password = decoded.partition(":")
    if not sep or not username:
        raise CredentialsMalformed("the Basic credentials must be <username>:<password>")
    return BasicCredentials(username, password)
