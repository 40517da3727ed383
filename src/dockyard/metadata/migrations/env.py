"""Alembic environment: migrations run on the connection `dockyard.metadata.store` hands over."""

from alembic import context

# The directory's, the registry properties', the policy's and the audit trail's tables live on the shared metadata.
import dockyard.audit.schema
import dockyard.directory.schema
import dockyard.policy.schema
import dockyard.properties.schema  # noqa: F401
from dockyard.metadata.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
