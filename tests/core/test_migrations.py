"""The migrations and the models describe the same schema (every schema change is a migration)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from openmso.models import metadata


def test_migrated_database_matches_the_models(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    differences = [d for d in compare_metadata(context, metadata)]
    assert differences == [], differences
