"""Alembic environment: migrations run on the connection `dockyard.metadata.store` hands over."""

from alembic import context

import dockyard.directory.schema  # noqa: F401 - registers the directory tables on the shared metadata
from dockyard.metadata.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
