"""Assemble the ASGI application from settings: stores, access controller, routes, error mapping."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from dockyard.access.policy import Policy
from dockyard.audit.store import AuditStore
from dockyard.audit.writer import AuditWriter
from dockyard.auth.access import AccessController, AccessDenied, Challenge, OpenAccess
from dockyard.auth.bearer import TokenAccessController
from dockyard.auth.directory_tokens import DirectoryTokens
from dockyard.auth.federation import FederatedIssuers, load_trusted_issuers
from dockyard.auth.keys import SigningKeys
from dockyard.auth.routes import routes as auth_routes
from dockyard.auth.throttle import LoginThrottle
from dockyard.auth.token_service import TokenService
from dockyard.content.errors import ContentError
from dockyard.content.registry import Registry
from dockyard.content.uploads import expire_uploads
from dockyard.directory.service import OWNER_USER_NAME, bootstrap_owner
from dockyard.directory.store import DirectoryStore
from dockyard.distribution import errors
from dockyard.distribution.routes import routes
from dockyard.management.api import management_app, mount
from dockyard.management.authentication import DirectoryBearer
from dockyard.metadata.store import MetadataStore
from dockyard.network.middleware import NetworkRulesMiddleware
from dockyard.policy.store import PolicyStore
from dockyard.properties.store import PropertiesStore
from dockyard.settings import Settings
from dockyard.storage import open_blob_store

log = logging.getLogger("dockyard")
_EXPIRY_SWEEP_SECONDS = 300
_KEY_OVERLAP_MARGIN = 600  # a retired signing key verifies for the longest token lifetime and then some


def open_registry(settings: Settings) -> Registry:
    """Open the stores named by the settings (the schema must already be migrated)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Registry(
        metadata=MetadataStore(settings.resolved_metadata_url),
        blobs=open_blob_store(settings.resolved_blob_store_url),
        upload_expiry_seconds=settings.upload_expiry_seconds,
        sparse_manifests=settings.sparse_manifests,
    )


def prepare(settings: Settings) -> str | None:
    """One-time start-up work before any worker serves: create directories, migrate the schema,
    create the `owner` user on first start. Returns the initial owner password file when it was
    just written."""
    registry = open_registry(settings)
    try:
        registry.metadata.migrate()
        expire_uploads(registry)
        directory = DirectoryStore(registry.metadata.engine)
        password_file = bootstrap_owner(directory, settings.data_dir)
        _assign_owner_role(directory, PolicyStore(registry.metadata.engine, registry.clock))
        return password_file
    finally:
        registry.metadata.close()


def _assign_owner_role(directory: DirectoryStore, policy: PolicyStore) -> None:
    """While no role assignment exists at all, the bootstrap owner holds Owner over the registry, so
    a fresh registry (or one whose every assignment was removed) always has someone who can act."""
    owner = directory.user_by_name(OWNER_USER_NAME)
    if owner is not None and not policy.list_assignments():
        policy.create_assignment(owner.object_id, "Owner", description="the bootstrap owner")


def tenant_id(settings: Settings) -> str:
    """The directory's tenant id (the schema must already be migrated)."""
    metadata = MetadataStore(settings.resolved_metadata_url)
    try:
        return DirectoryStore(metadata.engine).tenant_id()
    finally:
        metadata.close()


def signing_keys(settings: Settings) -> SigningKeys:
    """The token signing keys in the data directory (created on first use)."""
    overlap = settings.refresh_token_seconds + _KEY_OVERLAP_MARGIN
    return SigningKeys(
        settings.data_dir / "keys",
        issuer=settings.resolved_login_server,
        overlap=overlap,
        algorithm=settings.token_signing_algorithm,
    )


def token_service(
    settings: Settings, metadata: MetadataStore, keys: SigningKeys, clock: Callable[[], float] = time.time
) -> TokenService:
    """The token service over `metadata`, as `dockyard serve` configures it (`explain` builds the same)."""
    login_server = settings.resolved_login_server
    properties = PropertiesStore(metadata.engine, clock)
    policy_store = PolicyStore(metadata.engine, clock)

    def policy() -> Policy:
        current = properties.current()
        return policy_store.policy(current.role_assignment_mode, current.anonymous_pull_enabled)

    return TokenService(
        keys=keys,
        directory=DirectoryStore(metadata.engine),
        issuer=login_server,
        service=login_server,
        policy=policy,
        properties=properties,
        tokens=policy_store,
        registry_name=settings.registry_name,
        access_token_seconds=settings.access_token_seconds,
        refresh_token_seconds=settings.refresh_token_seconds,
        leeway=settings.clock_skew_seconds,
    )


def _token_access(
    settings: Settings, registry: Registry
) -> tuple[TokenService, DirectoryTokens, TokenAccessController]:
    login_server = settings.resolved_login_server
    keys = signing_keys(settings)
    service = token_service(settings, registry.metadata, keys, registry.clock)
    properties = service.properties
    controller = TokenAccessController(
        keys,
        login_server,
        login_server,
        settings.realm,
        registry.clock,
        leeway=settings.clock_skew_seconds,
        mode=lambda: properties.current().role_assignment_mode.value,
    )
    base = settings.realm.removesuffix("/oauth2/token")
    federation = FederatedIssuers(load_trusted_issuers(settings.trusted_issuers_file), registry.clock)
    directory_tokens = DirectoryTokens(
        keys,
        service.directory,
        base,
        audience=base,
        clock=registry.clock,
        federation=federation,
        leeway=settings.clock_skew_seconds,
    )
    return service, directory_tokens, controller


async def _sweep_expired_uploads(registry: Registry) -> None:
    while True:
        await anyio.sleep(_EXPIRY_SWEEP_SECONDS)
        try:
            expire_uploads(registry)
        except Exception:  # a failed sweep must not stop the server; the next one retries
            log.exception("expiring upload sessions failed")


def _audit_writer(settings: Settings, registry: Registry) -> AuditWriter:
    return AuditWriter(
        AuditStore(registry.metadata.engine),
        settings.data_dir / "audit",
        login_server=settings.resolved_login_server,
        retention_days=settings.audit_retention_days,
        enabled=settings.audit_enabled,
        clock=registry.clock,
        database_url=registry.metadata.url if registry.metadata.shared else None,  # for the sink process
    )


def create_app(settings: Settings, access: AccessController | None = None) -> Starlette:
    """The Dockyard ASGI application for `settings`."""
    registry = open_registry(settings)
    audit = _audit_writer(settings, registry)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_sweep_expired_uploads, registry)
                tasks.start_soon(audit.run)  # once cancelled, writes what is still queued: a clean stop loses no event
                try:
                    yield
                finally:
                    tasks.cancel_scope.cancel()
        finally:
            registry.metadata.close()

    token_service = directory_tokens = None
    if access is None and settings.authentication == "token":
        token_service, directory_tokens, access = _token_access(settings, registry)
    properties = PropertiesStore(registry.metadata.engine, registry.clock)  # network rules: cached, 1 s
    management = (
        [mount(management_app(settings, registry, DirectoryBearer(directory_tokens)))] if directory_tokens else []
    )
    app = Starlette(
        routes=[*routes, *auth_routes, *management] if token_service else routes,  # the data plane is matched first
        middleware=[
            Middleware(
                NetworkRulesMiddleware,
                rules=lambda: properties.current().network_rules,
                on_refused=audit.network_refused,
            )
        ],
        lifespan=lifespan,
        exception_handlers={
            ContentError: errors.content_error_handler,
            Challenge: errors.challenge_handler,
            AccessDenied: errors.denied_handler,
            HTTPException: errors.http_error_handler,
            Exception: errors.unexpected_error_handler,
        },
    )
    app.state.registry = registry
    app.state.access = access or OpenAccess()
    app.state.token_service = token_service
    app.state.directory_tokens = directory_tokens
    app.state.settings = settings
    app.state.audit = audit
    app.state.login_throttle = LoginThrottle(
        registry.clock,
        after=settings.login_throttle_after,
        refuse_after=settings.login_throttle_refuse_after,
        window_seconds=settings.login_throttle_window_seconds,
    )
    return app
