"""What a refused client is told, and what the audit trail is told about it.

The text is ACR's, verbatim, so scripts and people who know ACR's firewall message recognize it, and
`docker login` prints `login attempt … failed with status: 403 Forbidden` as it does against ACR.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.network.rules import NetworkReason

FIREWALL_HELP_URL = "https://aka.ms/acr/firewall"


def denied_message(ip: str) -> str:
    """The message of the `DENIED` error a refused client gets."""
    return f"client with IP '{ip}' is not allowed access. Refer {FIREWALL_HELP_URL} to grant access."


@dataclass(frozen=True)
class RefusedRequest:
    """A request the network rules refused, for the login log (`CallerIpAddress`, `UserAgent`, the reason)."""

    ip: str
    path: str
    method: str
    user_agent: str
    reason: NetworkReason
