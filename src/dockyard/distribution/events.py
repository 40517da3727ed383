"""Repository events for the manifest endpoints: push (PUT), pull (GET; HEAD is not recorded) and
delete. A push or delete handler wraps its work in `with repository_event(...) as event:`, tells the
event whom the request acts as and which manifest it touched, and the event is recorded when the block
ends — a success, or a failure with the OCI code the exception is answered with.

A pull, the hot path, records its success with one call instead (`pulled`: the event's
`RepositoryKey`, a plain tuple, and its two numbers handed to the audit writer's queue) and its failure
with `pull_failed`; `recording(request)` says whether to record at all.
"""

from __future__ import annotations

import time
from types import TracebackType

from starlette.requests import Request

from dockyard.audit.model import ANONYMOUS, RepositoryEvent, RepositoryOperation, ResultType
from dockyard.audit.writer import AuditWriter
from dockyard.auth.access import Grant
from dockyard.auth.caller import caller_ip, user_agent
from dockyard.content.manifests import StoredManifest
from dockyard.distribution.errors import error_code

#: The identity of a request whose credentials were not accepted (it never got a grant).
UNAUTHENTICATED = "unauthenticated"
_DONE = {
    RepositoryOperation.PUSH: "pushed",
    RepositoryOperation.PULL: "pulled",
    RepositoryOperation.DELETE: "deleted",
}
_AUTHORIZATION = b"authorization"
_MAX_USER_AGENT = 512
_ANONYMOUS_GRANT = Grant(ANONYMOUS, ANONYMOUS)
_SUCCESS = ResultType.SUCCESS.value
_VALUE = {operation: operation.value for operation in RepositoryOperation}
_PULL = RepositoryOperation.PULL.value


class RecordedOperation:
    """One manifest operation being timed; records its repository event on leaving the `with` block."""

    __slots__ = (
        "_artifact_type",
        "_audit",
        "_digest",
        "_grant",
        "_media_type",
        "_operation",
        "_repository",
        "_request",
        "_size",
        "_started",
        "_tag",
        "_time",
    )

    def __init__(
        self,
        audit: AuditWriter,
        request: Request,
        operation: RepositoryOperation,
        repository: str,
        reference: str,
        arrived: float | None = None,
        started: float | None = None,
    ) -> None:
        self._audit = audit
        self._request = request
        self._operation = operation
        self._repository = repository
        self._time = audit.clock() if arrived is None else arrived
        self._started = time.perf_counter() if started is None else started
        self._grant: Grant | None = None
        self._digest = "" if ":" not in reference else reference  # a tag never holds a colon, a digest always
        self._tag = reference if ":" not in reference else ""
        self._media_type = ""
        self._artifact_type: str | None = None
        self._size = 0

    def granted(self, grant: Grant) -> None:
        """Whom the request acts as."""
        self._grant = grant

    def manifest(self, digest: str, media_type: str, size: int, artifact_type: str | None) -> None:
        """The manifest the operation touched."""
        self._digest, self._media_type, self._size, self._artifact_type = digest, media_type, size, artifact_type

    def tagged(self, tags: tuple[str, ...]) -> None:
        """The tags a push by digest set (`?tag=`), comma-separated in the event."""
        if tags and not self._tag:
            self._tag = ",".join(tags)

    def __enter__(self) -> RecordedOperation:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if exc is not None:
            self.failed(exc)
            return
        grant = self._grant
        if grant is None:  # no access check (cannot happen in a handler that authorizes first)
            grant = _ANONYMOUS_GRANT
        ip, agent = _origin(self._request)
        audit = self._audit
        audit.record_repository(
            (  # RepositoryEvent's fields but the time and the duration, in order (see RepositoryKey)
                _VALUE[self._operation],
                grant.subject,
                grant.name,
                audit.login_server,
                self._repository,
                self._tag,
                self._digest,
                self._artifact_type or "",
                self._media_type,
                self._size,
                ip,
                agent,
                _SUCCESS,
                _DONE[self._operation],
                grant.jwt_id,
                "",  # the correlation id, given when stored
                "",
            ),
            self._time,
            (time.perf_counter() - self._started) * 1000,  # rounded by the sink
        )

    def failed(self, exc: BaseException) -> None:
        """Record the operation as failed with `exc` (nothing for a cancellation)."""
        if not isinstance(exc, Exception):  # cancelled, or the server is stopping: nothing for an operator
            return
        grant = self._grant
        if grant is not None:
            identity, name, jwt_id = grant.subject, grant.name, grant.jwt_id
        else:
            identity = UNAUTHENTICATED if self._presented_credentials() else ANONYMOUS
            name, jwt_id = identity, ""
        audit = self._audit
        audit.record(
            RepositoryEvent(
                time_generated=self._time,
                operation_name=self._operation,
                identity=identity,
                identity_name=name,
                login_server=audit.login_server,
                repository=self._repository,
                tag=self._tag,
                digest=self._digest,
                artifact_type=self._artifact_type or "",
                media_type=self._media_type,
                size=self._size,
                caller_ip_address=caller_ip(self._request),
                user_agent=user_agent(self._request),
                result_type=ResultType.FAILURE,
                result_description=str(getattr(exc, "message", "") or exc)[:500],
                duration_ms=round((time.perf_counter() - self._started) * 1000, 3),
                jwt_id=jwt_id,
                correlation_id="",  # given when stored
                reason=error_code(exc).value,
            )
        )

    def _presented_credentials(self) -> bool:
        return any(name == _AUTHORIZATION for name, _ in self._request.scope["headers"])


class NotRecorded:
    """The stand-in when nothing is recorded (the audit is off, or the request is a HEAD)."""

    __slots__ = ()

    def granted(self, grant: Grant) -> None:
        """Nothing to note."""

    def manifest(self, digest: str, media_type: str, size: int, artifact_type: str | None) -> None:
        """Nothing to note."""

    def tagged(self, tags: tuple[str, ...]) -> None:
        """Nothing to note."""

    def __enter__(self) -> NotRecorded:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        return None


NOT_RECORDED = NotRecorded()


def repository_event(
    request: Request, operation: RepositoryOperation, repository: str, reference: str
) -> RecordedOperation | NotRecorded:
    """A context manager that records `operation` on `repository` at `reference` (a tag or digest)."""
    audit = recording(request)
    if audit is None:
        return NOT_RECORDED
    return RecordedOperation(audit, request, operation, repository, reference)


def recording(request: Request) -> AuditWriter | None:
    """The audit writer, if the audit is on."""
    audit: AuditWriter = request.app.state.audit
    return audit if audit.enabled else None


def pulled(
    audit: AuditWriter,
    request: Request,
    grant: Grant,
    repository: str,
    reference: str,
    manifest: StoredManifest,
    arrived: float,
    started: float,
) -> None:
    """Record a successful pull of `manifest` (asked for by `reference`); `arrived` is the request's
    time (the audit's clock), `started` its `perf_counter()`."""
    ip, agent = _origin(request)
    audit.record_repository(
        (  # RepositoryEvent's fields but the time and the duration, in order (see RepositoryKey)
            _PULL,
            grant.subject,
            grant.name,
            audit.login_server,
            repository,
            "" if ":" in reference else reference,  # a tag never holds a colon, a digest always
            manifest.digest,
            manifest.artifact_type or "",
            manifest.media_type,
            len(manifest.content),
            ip,
            agent,
            _SUCCESS,
            "pulled",
            grant.jwt_id,
            "",  # the correlation id, given when stored
            "",
        ),
        arrived,
        (time.perf_counter() - started) * 1000,  # rounded by the sink
    )


def pull_failed(
    audit: AuditWriter,
    request: Request,
    grant: Grant | None,
    repository: str,
    reference: str,
    exc: BaseException,
    arrived: float,
    started: float,
) -> None:
    """Record a failed pull, with the OCI code `exc` is answered with."""
    operation = RecordedOperation(audit, request, RepositoryOperation.PULL, repository, reference, arrived, started)
    if grant is not None:
        operation.granted(grant)
    operation.failed(exc)


def _origin(request: Request) -> tuple[str, str]:
    """The caller's IP (as the network middleware found it) and user agent."""
    scope = request.scope
    state = scope.get("state")
    ip = state.get("client_ip") if state else None
    agent = ""
    for name, value in scope["headers"]:
        if name == b"user-agent":
            agent = value[:_MAX_USER_AGENT].decode("latin-1")
            break
    return ip or caller_ip(request), agent
