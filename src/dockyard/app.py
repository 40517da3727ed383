"""Assemble the ASGI application from settings: stores, access controller, routes, error mapping."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from dockyard.auth.access import AccessController, AccessDenied, Challenge, OpenAccess
from dockyard.content.errors import ContentError
from dockyard.content.registry import Registry
from dockyard.content.uploads import expire_uploads
from dockyard.distribution import errors
from dockyard.distribution.routes import routes
from dockyard.metadata.store import MetadataStore
from dockyard.settings import Settings
from dockyard.storage import open_blob_store

log = logging.getLogger("dockyard")
_EXPIRY_SWEEP_SECONDS = 300


def open_registry(settings: Settings) -> Registry:
    """Open the stores named by the settings (the schema must already be migrated)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Registry(
        metadata=MetadataStore(settings.resolved_metadata_url),
        blobs=open_blob_store(settings.resolved_blob_store_url),
        upload_expiry_seconds=settings.upload_expiry_seconds,
        sparse_manifests=settings.sparse_manifests,
    )


def prepare(settings: Settings) -> None:
    """One-time start-up work before any worker serves: create directories, migrate the schema."""
    registry = open_registry(settings)
    try:
        registry.metadata.migrate()
        expire_uploads(registry)
    finally:
        registry.metadata.close()


async def _sweep_expired_uploads(registry: Registry) -> None:
    while True:
        await anyio.sleep(_EXPIRY_SWEEP_SECONDS)
        try:
            expire_uploads(registry)
        except Exception:  # a failed sweep must not stop the server; the next one retries
            log.exception("expiring upload sessions failed")


def create_app(settings: Settings, access: AccessController | None = None) -> Starlette:
    """The Dockyard ASGI application for `settings`."""
    registry = open_registry(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_sweep_expired_uploads, registry)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
                registry.metadata.close()

    app = Starlette(
        routes=routes,
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
    app.state.settings = settings
    return app
