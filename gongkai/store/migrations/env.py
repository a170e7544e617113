"""Alembic environment: runs migrations on the connection Gongkai hands over.

Gongkai calls Alembic programmatically (:func:`gongkai.store.db.upgrade`); there is no alembic.ini and
the URL never passes through Alembic's config, so it cannot end up in Alembic's log lines.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import gongkai.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI directly
    raise RuntimeError(
        "Run migrations through `gongkai init` (gongkai.store.db.upgrade), not the alembic CLI."
    )

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
