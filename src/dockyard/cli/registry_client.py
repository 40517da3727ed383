"""A small client of the OCI distribution API for `dockyard import`: read manifests and blobs from any
registry, and write them to one — with the sign-in each registry asks for.

Authentication follows the registry's challenge, as docker and skopeo do: anonymous first; on a `401`
with `WWW-Authenticate: Bearer realm=…,service=…` a token is fetched from the realm for the repository's
scope (with Basic credentials when some are given); on `Basic realm=…` the credentials go as Basic. A
Dockyard login server is signed in to with the CLI's registry refresh token, which its token endpoint
takes with the `00000000-…` user name. Credentials never appear in an error message.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from dockyard.cli.errors import CliError

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
_TIMEOUT = httpx.Timeout(300.0, connect=15.0)
_CHALLENGE_PARAMETER = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class Manifest:
    """A manifest's exact bytes, media type and digest."""

    body: bytes
    media_type: str
    digest: str


@dataclass
class RegistryClient:
    """The `/v2/` API of one repository of one registry, signed in as the registry's challenge asks."""

    url: str  # scheme://host[:port]
    repository: str
    credentials: tuple[str, str] | None = field(default=None, repr=False)
    actions: str = "pull"
    _client: httpx.Client = field(init=False, repr=False)
    _authorization: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._client = httpx.Client(base_url=self.url, timeout=_TIMEOUT, follow_redirects=True,
                                    headers={"User-Agent": "dockyard-import"})  # fmt: skip

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def host(self) -> str:
        """`host[:port]` of the registry."""
        return httpx.URL(self.url).netloc.decode()

    # -- reading ---------------------------------------------------------------------------------------

    def get_manifest(self, reference: str) -> Manifest:
        """The manifest under a tag or digest."""
        response = self._send("GET", f"manifests/{reference}", headers={"Accept": ", ".join(MANIFEST_TYPES)})
        self._raise_for(response, f"{self.repository}:{reference}")
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        digest = response.headers.get("Docker-Content-Digest") or _sha256(response.content)
        return Manifest(response.content, media_type, digest)

    def has_manifest(self, reference: str) -> bool:
        """True when a manifest exists under `reference`."""
        response = self._send("HEAD", f"manifests/{reference}", headers={"Accept": ", ".join(MANIFEST_TYPES)})
        if response.status_code == 404:
            return False
        self._raise_for(response, f"{self.repository}:{reference}")
        return True

    @contextmanager
    def blob(self, digest: str) -> Iterator[httpx.Response]:
        """The blob's response, streaming (redirects to storage followed)."""
        request = self._request("GET", f"blobs/{digest}")
        response = self._client.send(request, stream=True)
        if response.status_code == 401 and self._authenticate(response):
            response.close()
            response = self._client.send(self._request("GET", f"blobs/{digest}"), stream=True)
        try:
            if response.status_code >= 400:
                response.read()
                self._raise_for(response, f"{self.repository}@{digest}")
            yield response
        finally:
            response.close()

    # -- writing ---------------------------------------------------------------------------------------

    def has_blob(self, digest: str) -> bool:
        """True when the repository already holds the blob (HEAD), or it could be mounted from another."""
        response = self._send("HEAD", f"blobs/{digest}")
        if response.status_code == 200:
            return True
        if response.status_code != 404:
            self._raise_for(response, f"{self.repository}@{digest}")
        mounted = self._send("POST", "blobs/uploads/", params={"mount": digest})
        if mounted.status_code == 201:
            return True
        if mounted.status_code == 202:  # not mountable: the session it opened is not needed
            location = mounted.headers.get("Location")
            if location:
                self._client.delete(location, headers=self._headers())
            return False
        self._raise_for(mounted, f"{self.repository}@{digest}")
        return False

    def push_blob(self, digest: str, size: int, chunks: Iterator[bytes]) -> None:
        """Upload a blob in one streamed PUT of a new upload session (a retry opens a new session)."""
        started = self._send("POST", "blobs/uploads/")
        if started.status_code != 202:
            self._raise_for(started, f"{self.repository}@{digest}")
        # The session's URL may carry state of its own (`?_state=`): add the digest to it, never replace it.
        location = httpx.URL(started.headers.get("Location", "")).copy_merge_params({"digest": digest})
        headers = {**self._headers(), "Content-Type": "application/octet-stream", "Content-Length": str(size)}
        finished = self._client.put(location, content=chunks, headers=headers)
        if finished.status_code != 201:
            self._raise_for(finished, f"{self.repository}@{digest}")

    def put_manifest(self, reference: str, manifest: Manifest) -> None:
        """Store a manifest under a tag or its digest."""
        response = self._send("PUT", f"manifests/{reference}", content=manifest.body,
                              headers={"Content-Type": manifest.media_type})  # fmt: skip
        if response.status_code != 201:
            self._raise_for(response, f"{self.repository}:{reference}")

    # -- the conversation ------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": self._authorization} if self._authorization else {}

    def _request(self, method: str, path: str, **options: Any) -> httpx.Request:
        headers = {**options.pop("headers", {}), **self._headers()}
        return self._client.build_request(method, f"/v2/{self.repository}/{path}", headers=headers, **options)

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            response = self._client.send(self._request(method, path, **dict(options)))
            if response.status_code == 401 and self._authenticate(response):
                response = self._client.send(self._request(method, path, **dict(options)))
        except httpx.TransportError as exc:
            raise CliError(
                f"could not connect to the registry {self.host}: {type(exc).__name__}",
                fix="check the registry's name and port, and that it answers: curl -i <url>/v2/",
            ) from None
        return response

    def _authenticate(self, response: httpx.Response) -> bool:
        """Answer the challenge of a 401 (once); True when there is something new to retry with."""
        challenge = response.headers.get("WWW-Authenticate", "")
        scheme = challenge.split(" ", 1)[0].lower()
        if scheme == "basic" and self.credentials and self._authorization is None:
            self._authorization = _basic(*self.credentials)
            return True
        if scheme != "bearer" or (self._authorization is not None and "insufficient_scope" not in challenge):
            return False
        parameters = dict(_CHALLENGE_PARAMETER.findall(challenge))
        query = {"scope": f"repository:{self.repository}:{self.actions}"}
        if "service" in parameters:
            query["service"] = parameters["service"]
        answer = self._client.get(parameters.get("realm", ""), params=query,
                                  auth=httpx.BasicAuth(*self.credentials) if self.credentials else None)  # fmt: skip
        if answer.status_code != 200:
            raise CliError(
                f"{self.host} refused a token for {self.repository} ({answer.status_code})",
                fix="check --username/--password for the source, or `dockyard login -n <login server>` for Dockyard",
            )
        body = answer.json()
        token = body.get("token") or body.get("access_token")
        if not token or self._authorization == f"Bearer {token}":
            return False
        self._authorization = f"Bearer {token}"
        return True

    def _raise_for(self, response: httpx.Response, what: str) -> None:
        if response.status_code < 400:
            return
        detail = _oci_error(response)
        if response.status_code == 404:
            raise CliError(f"{self.host}: {what} not found{detail}", fix="check the repository and tag")
        if response.status_code in (401, 403):
            raise CliError(
                f"{self.host} refused access to {what} ({response.status_code}){detail}",
                fix="give credentials that may pull the source (--username/--password) and push here "
                "(a role such as AcrPush)",
            )
        raise CliError(f"{self.host} answered {response.status_code} for {what}{detail}", fix="retry the import")


def _oci_error(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return ""
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    return f": {first.get('code')} {first.get('message', '')}".rstrip() if first else ""


def _sha256(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
