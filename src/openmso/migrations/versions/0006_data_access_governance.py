"""data-access governance: each audit entry may name the agreement clause that allowed the access

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-30 02:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column added in place: existing entries keep their hashes (the digest covers the
    # basis only when it is set), and the triggers refusing UPDATE/DELETE stay as they are.
    op.add_column('audit_entry', sa.Column('basis', sa.Text(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite >= 3.35, PostgreSQL): a batch rebuild would drop the append-only triggers.
    op.execute("ALTER TABLE audit_entry DROP COLUMN basis")
