"""The errors of network-rule changes, in the words an administrator reads them."""

from __future__ import annotations


class NetworkRuleError(ValueError):
    """A network-rule change cannot be made; the message says why."""


class InvalidAddress(NetworkRuleError):
    """A value is not an IP address or CIDR range."""


class TooManyIpRules(NetworkRuleError):
    """The IP rule list is full (ACR allows 200)."""


class RuleNotFound(NetworkRuleError):
    """A range to remove is not in the list."""
