"""check-health's connectivity steps: the login server's name, DNS, TCP, TLS, the `/v2/` challenge and the token
endpoint it names — for any OCI registry. What the challenge says decides what the token chain can check: nothing
(open), Basic credentials, or a token service (Dockyard's and ACR's is recognised by its realm, `/oauth2/token`
on the login server itself, which also has `/oauth2/exchange`)."""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass, replace
from enum import StrEnum
from urllib.parse import urlencode, urlsplit

from dockyard.doctor.steps import Step, failed, passed, skipped, warned
from dockyard.doctor.vocabulary import CauseId, CheckCode, StepName
from dockyard.doctor.wire import Answer, Failure, WireError, request, speaks_plain_http, speaks_tls, tls_context

_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$")
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
_DENIED_IP = re.compile(r"client with IP '([^']+)'")
_SSL = CheckCode.CONNECTIVITY_SSL_ERROR
_UNREACHABLE = "check the port and that the registry runs; from here: nc -vz <host> <port>"


class AuthScheme(StrEnum):
    """How the registry wants clients to authenticate, as its `/v2/` answer says."""

    OPEN = "open"  # /v2/ answers 200: no credentials asked
    BASIC = "basic"  # htpasswd and the like: credentials on every request
    BEARER = "bearer"  # a token service (Docker token spec)


@dataclass(frozen=True)
class Target:
    """The registry being checked: its login server and how to reach it."""

    login_server: str  # host[:port], lower case
    scheme: str  # "https" or "http"
    explicit_scheme: bool  # the user gave http:// or https://

    @property
    def host(self) -> str:
        """The host name or address."""
        return urlsplit(f"//{self.login_server}").hostname or self.login_server

    @property
    def port(self) -> int:
        """The TCP port (443 / 80 by default)."""
        return urlsplit(f"//{self.login_server}").port or (443 if self.scheme == "https" else 80)

    @property
    def url(self) -> str:
        """`<scheme>://<login server>`."""
        return f"{self.scheme}://{self.login_server}"

    @property
    def loopback(self) -> bool:
        """Whether it is on this machine (docker then allows plain HTTP)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def context(self) -> ssl.SSLContext:
        """The TLS trust clients on this machine use for it."""
        return tls_context(self.login_server)


@dataclass(frozen=True)
class Challenge:
    """What `GET /v2/` asked for."""

    scheme: AuthScheme
    realm: str = ""
    service: str = ""

    @property
    def acr_style(self) -> bool:
        """Whether the token service is Dockyard's (or ACR's): `/oauth2/token` on the login server."""
        return self.scheme is AuthScheme.BEARER and urlsplit(self.realm).path == "/oauth2/token"


def target_of(name: str) -> Target:
    """The target for a name as given (`host[:port]`, optionally with `http://` or `https://` and a path)."""
    text = name.strip()
    explicit = "://" in text
    parts = urlsplit(text if explicit else f"//{text}")
    login_server = (parts.netloc or text).lower()
    loopback = Target(login_server, "https", False).loopback
    scheme = parts.scheme if explicit and parts.scheme in ("http", "https") else ("http" if loopback else "https")
    return Target(login_server, scheme, explicit)


def login_server_step(name: str, known: list[str]) -> tuple[Step, str | None]:
    """LOGIN_SERVER_ERROR when the name is not a full lower-case host name; the corrected name, when one is sure."""
    text = name.strip()
    netloc = urlsplit(text if "://" in text else f"//{text}").netloc or text
    step_name, code = StepName.LOGIN_SERVER_NAME, CheckCode.LOGIN_SERVER_ERROR
    if netloc != netloc.lower():
        corrected = netloc.lower()
        cause = f"'{netloc}' is not lower case: registry references are lower case"
        fix = f"use '{corrected}': docker login {corrected}; dockyard check-health -n {corrected}"
        return failed(step_name, code, cause, fix, CauseId.LOGIN_SERVER_CASING), corrected
    if not _HOST.match(netloc):
        cause = f"'{netloc}' is not a host name (with an optional :port)"
        return failed(step_name, code, cause, "give the login server as host[:port], e.g. myregistry.example.com"), None
    host = urlsplit(f"//{netloc}").hostname or netloc
    if "." not in host and ":" not in netloc and host != "localhost":
        matches = sorted(server for server in known if server.startswith(f"{host}."))
        guess = matches[0] if len(matches) == 1 else None
        cause = f"'{netloc}' is a bare registry name: docker needs the full login server name"
        suggestion = f"'{guess}' (saved on this machine)" if guess else "myregistry.example.com, not myregistry"
        fix = f"use the full login server: {suggestion}"
        return failed(step_name, code, cause, fix, CauseId.LOGIN_SERVER_BARE_NAME), guess
    return passed(step_name, f"'{netloc}' is a full, lower-case login server name"), None


def dns_step(target: Target) -> Step:
    """The login server's name resolves."""
    try:
        ipaddress.ip_address(target.host)
        return skipped(StepName.DNS, f"{target.host} is an IP address")
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        addresses = sorted({str(info[4][0]) for info in infos})
    except socket.gaierror as exc:
        cause = f"'{target.host}' does not resolve: {exc.strerror}"
        fix = f"check the spelling, and this machine's DNS: getent hosts {target.host}"
        return failed(StepName.DNS, CheckCode.CONNECTIVITY_DNS_ERROR, cause, fix, CauseId.UNKNOWN_HOST)
    return passed(StepName.DNS, f"{target.host} resolves to {', '.join(addresses)}")


def tcp_step(target: Target) -> Step:
    """Something listens on the login server's port."""
    try:
        with socket.create_connection((target.host, target.port), timeout=10):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
        cause = f"cannot connect to {target.host}:{target.port}: {reason}"
        return failed(
            StepName.TCP, CheckCode.CONNECTIVITY_CHALLENGE_ERROR, cause, _UNREACHABLE, CauseId.REGISTRY_UNREACHABLE
        )
    return passed(StepName.TCP, f"{target.host}:{target.port} accepts connections")


_TLS_CAUSES = {
    Failure.TLS_UNTRUSTED: (
        CauseId.TLS_UNTRUSTED_CA,
        "its certificate is signed by an authority this machine does not trust",
        "trust the registry's CA: /etc/docker/certs.d/{0}/ca.crt (podman, skopeo: "
        "/etc/containers/certs.d/{0}/ca.crt), or the system's store",
    ),
    Failure.TLS_HOST: (
        CauseId.TLS_WRONG_HOST,
        "its certificate is for another host name",
        "use the name the certificate holds, or have it reissued for {0}",
    ),
    Failure.TLS_EXPIRED: (
        CauseId.TLS_EXPIRED,
        "its certificate has expired (or is not valid yet)",
        "have it renewed (and check this machine's clock: date -u)",
    ),
}


def tls_step(target: Target) -> tuple[Step, Target]:
    """TLS works and is trusted; or plain HTTP where a client would use it. Returns the target to go on with."""
    if target.scheme == "http" and target.explicit_scheme:
        if speaks_tls(target.host, target.port) and not speaks_plain_http(target.host, target.port):
            return _mismatch(
                target, "the port speaks HTTPS, not plain HTTP", f"use https://{target.login_server}"
            ), target
        return skipped(StepName.TLS, "plain HTTP was asked for (http://)"), target
    try:
        with (
            socket.create_connection((target.host, target.port), timeout=10) as sock,
            target.context().wrap_socket(sock, server_hostname=target.host) as tls,
        ):
            certificate = tls.getpeercert() or {}
            version = tls.version() or "TLS"
    except ssl.SSLCertVerificationError as exc:
        return _certificate_failure(target, exc), target
    except ssl.SSLError as exc:
        if speaks_plain_http(target.host, target.port):
            if target.loopback and not target.explicit_scheme:
                finding = (
                    f"{target.login_server} speaks plain HTTP (docker allows it on loopback; "
                    "podman and skopeo need --tls-verify=false)"
                )
                return passed(StepName.TLS, finding), replace(target, scheme="http")
            return _mismatch(
                target, "the port speaks plain HTTP, not HTTPS", "serve TLS, or use the scheme the port speaks"
            ), target
        cause = f"the TLS handshake with {target.login_server} failed: {exc.reason or exc}"
        return failed(
            StepName.TLS, _SSL, cause, "check for a proxy or load balancer in the way", CauseId.TLS_PROXY
        ), target
    except OSError as exc:
        cause = f"cannot connect to {target.login_server}: {exc.strerror or exc}"
        return failed(
            StepName.TLS, CheckCode.CONNECTIVITY_CHALLENGE_ERROR, cause, _UNREACHABLE, CauseId.REGISTRY_UNREACHABLE
        ), target
    until = certificate.get("notAfter", "?")
    return passed(StepName.TLS, f"{version} with a trusted certificate for {target.host}, valid until {until}"), target


def _certificate_failure(target: Target, exc: ssl.SSLCertVerificationError) -> Step:
    from dockyard.doctor.wire import classify

    failure = classify(exc)
    cause_id, what, fix = _TLS_CAUSES.get(failure.failure, _TLS_CAUSES[Failure.TLS_UNTRUSTED])
    cause = f"{target.login_server}: {what} ({failure.detail})"
    return failed(StepName.TLS, _SSL, cause, fix.format(target.login_server), cause_id, details=_proxy_note())


def _mismatch(target: Target, what: str, fix: str) -> Step:
    cause = f"{target.login_server}: {what}"
    return failed(StepName.TLS, _SSL, cause, fix, CauseId.HTTP_HTTPS_MISMATCH)


def _proxy_note() -> tuple[str, ...]:
    import os

    proxies = [name for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy") if os.environ.get(name)]
    return (
        (f"a proxy is configured ({', '.join(proxies)}): it may be the one presenting this certificate",)
        if proxies
        else ()
    )


def challenge_step(target: Target) -> tuple[Step, Challenge | None]:
    """`GET /v2/` without credentials: 200 (open), or 401 with a well-formed challenge."""
    try:
        answer = request(f"{target.url}/v2/", context=target.context())
    except WireError as exc:
        return _wire_failure(StepName.CHALLENGE, target, exc), None
    refused = refusal(StepName.CHALLENGE, answer)
    if refused is not None:
        return refused, None
    if answer.status == 200:
        return passed(StepName.CHALLENGE, "GET /v2/ answers 200: the registry asks for no credentials"), Challenge(
            AuthScheme.OPEN
        )
    if answer.status != 401:
        cause = f"GET /v2/ answered {answer.status}: this is not an OCI registry's API root"
        fix = "check the login server name and port"
        return failed(
            StepName.CHALLENGE, CheckCode.CONNECTIVITY_CHALLENGE_ERROR, cause, fix, CauseId.REGISTRY_UNREACHABLE
        ), None
    return parse_challenge(answer.headers.get("www-authenticate", ""))


def parse_challenge(header: str) -> tuple[Step, Challenge | None]:
    """The challenge of a 401, or the step that says what is wrong with it."""
    name = StepName.CHALLENGE
    if not header:
        cause = "GET /v2/ answered 401 without a WWW-Authenticate challenge: clients cannot tell how to sign in"
        return failed(
            name, CheckCode.CONNECTIVITY_CHALLENGE_ERROR, cause, "fix the registry's (or proxy's) configuration"
        ), None
    scheme, _, rest = header.strip().partition(" ")
    params = dict(_CHALLENGE_PARAM.findall(rest))
    if scheme.lower() == "basic":
        return passed(name, f"Basic authentication (realm {params.get('realm', '?')!r})"), Challenge(AuthScheme.BASIC)
    realm = params.get("realm", "")
    if scheme.lower() != "bearer" or urlsplit(realm).scheme not in ("http", "https"):
        cause = f'the challenge is malformed: {header[:200]!r} (a Bearer challenge needs realm="<token URL>")'
        return failed(
            name, CheckCode.CONNECTIVITY_WWW_AUTHENTICATE_ERROR, cause, "fix the registry's auth configuration"
        ), None
    challenge = Challenge(AuthScheme.BEARER, realm, params.get("service", ""))
    kind = "Dockyard/ACR token service" if challenge.acr_style else "token service"
    return passed(name, f"Bearer: {kind} at {realm} for service {challenge.service!r}"), challenge


def token_endpoint_step(target: Target, challenge: Challenge | None) -> Step:
    """The realm answers as a token service; on Dockyard/ACR, `/oauth2/exchange` is there too."""
    name = StepName.TOKEN_ENDPOINT
    if challenge is None or challenge.scheme is not AuthScheme.BEARER:
        return skipped(name, "no token service: the registry does not use Bearer tokens")
    query = urlencode({"service": challenge.service}) if challenge.service else ""
    try:
        answer = request(f"{challenge.realm}?{query}", context=target.context())
    except WireError as exc:
        cause = f"the token service {challenge.realm} cannot be reached: {exc.detail}"
        return failed(name, CheckCode.CONNECTIVITY_AAD_LOGIN_ERROR, cause, "check the realm the registry names")
    refused = refusal(name, answer)
    if refused is not None:
        return refused
    if answer.status not in (200, 401) or not answer.json():
        cause = f"{challenge.realm} answered {answer.status} without a token-service answer"
        return failed(name, CheckCode.CONNECTIVITY_AAD_LOGIN_ERROR, cause, "check the realm the registry names")
    if not challenge.acr_style:
        return passed(name, f"the token service answers ({answer.status} to an anonymous request)")
    origin = f"{urlsplit(challenge.realm).scheme}://{urlsplit(challenge.realm).netloc}"
    try:
        exchange = request(
            f"{origin}/oauth2/exchange",
            "POST",
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"",
            context=target.context(),
        )
    except WireError as exc:
        exchange = Answer(0, {}, exc.detail.encode())
    if exchange.status == 400 and exchange.json().get("error"):
        return passed(name, "the token service answers, and /oauth2/exchange takes directory sign-ins (dockyard login)")
    cause = f"{origin}/oauth2/exchange answered {exchange.status}: dockyard login / az acr login cannot sign in here"
    return warned(name, CheckCode.CONNECTIVITY_AAD_LOGIN_ERROR, cause, "sign in with -u/-p (docker login) instead")


def refusal(name: StepName, answer: Answer) -> Step | None:
    """The step for a 403 (network rules) or 429 (throttled), which any endpoint may answer; None otherwise."""
    if answer.status == 403:
        messages = answer.oci_messages() or [answer.json().get("error_description", "") or "403 Forbidden"]
        ip = next((m.group(1) for text in messages if (m := _DENIED_IP.search(text))), None)
        seen = f" (the registry saw the caller as {ip})" if ip else ""
        cause = f"access denied by the registry's network rules{seen}: {'; '.join(messages)}"
        fix = (
            f"an operator admits this address: dockyard network-rule add --ip-address {ip or '<ip>'}/32, or enables "
            "public access: dockyard update --public-network-enabled true"
        )
        causes = (CauseId.IP_NOT_ALLOWED, CauseId.PUBLIC_ACCESS_DISABLED)
        details = (f"caller IP: {ip}",) if ip else ()
        return failed(name, CheckCode.CONNECTIVITY_FORBIDDEN_ERROR, cause, fix, *causes, details=details)
    if answer.status == 429:
        wait = answer.headers.get("retry-after", "?")
        cause = f"the registry throttles this client (429; Retry-After: {wait} s): {'; '.join(answer.oci_messages())}"
        fix = f"wait {wait} seconds, then sign in with the right credentials"
        return failed(name, CheckCode.CONNECTIVITY_TOOMANYREQUESTS_ERROR, cause, fix, CauseId.LOGIN_THROTTLED)
    return None


def _wire_failure(name: StepName, target: Target, exc: WireError) -> Step:
    if exc.failure is Failure.DNS:
        return failed(
            name,
            CheckCode.CONNECTIVITY_DNS_ERROR,
            f"'{target.host}' does not resolve: {exc.detail}",
            "check the login server's name",
            CauseId.UNKNOWN_HOST,
        )
    if exc.failure in _TLS_CAUSES:
        cause_id, what, fix = _TLS_CAUSES[exc.failure]
        return failed(
            name, _SSL, f"{target.login_server}: {what} ({exc.detail})", fix.format(target.login_server), cause_id
        )
    if exc.failure is Failure.PROTOCOL and speaks_tls(target.host, target.port):
        return _mismatch(target, "the port speaks HTTPS, not plain HTTP", f"use https://{target.login_server}")
    cause = f"GET {target.url}/v2/ failed: {exc.detail}"
    return failed(name, CheckCode.CONNECTIVITY_CHALLENGE_ERROR, cause, _UNREACHABLE, CauseId.REGISTRY_UNREACHABLE)
