"""Refusals of the directory, in its own words. No message ever contains a password or secret."""

from __future__ import annotations


class DirectoryError(Exception):
    """Base of every directory refusal. `message` is safe to show to an administrator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PrincipalNotFound(DirectoryError):
    """No principal with this object id, user name or application (client) id."""


class WrongPrincipalKind(DirectoryError):
    """The principal exists but cannot take part here (a secret for a user, a member added to a user, ...)."""


class DirectoryInvalid(DirectoryError):
    """A value outside the directory's rules (the management API answers 400)."""


class UserNameInvalid(DirectoryInvalid):
    """A user name outside the grammar, or shaped like a UUID (which would read as an application id)."""


class PasswordInvalid(DirectoryInvalid):
    """A password too short or too long."""


class DisplayNameInvalid(DirectoryInvalid):
    """An empty or overlong display name."""


class SecretEndDateInvalid(DirectoryInvalid):
    """A client secret's end date that is not in the future."""


class FederatedCredentialInvalid(DirectoryInvalid):
    """A federated credential's name, issuer, subject or audiences outside the rules."""


class MembershipInvalid(DirectoryInvalid):
    """A membership that cannot exist (a group inside itself)."""


class DirectoryConflict(DirectoryError):
    """A name that must be unique is already in use (the management API answers 409)."""


class UserNameTaken(DirectoryConflict):
    """Another user already has this user name."""


class FederatedCredentialNameTaken(DirectoryConflict):
    """The principal already has a federated credential of this name."""


class BootstrapFileExists(DirectoryError):
    """The initial owner password file exists although there is no owner user: it is never overwritten."""
