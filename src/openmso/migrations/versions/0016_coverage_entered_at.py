"""coverage: when the plan was put on file

A share the last payer left to a patient with a next plan in force is held in insurance A/R for that plan
(`rcm.ar.next_plans`). The A/R as of a past day must not count a plan the practice learned of after that day,
so a plan keeps when it was entered. Plans on file before this revision have no entry time and count on every
day, as before.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 13:00:00
"""

from alembic import op
import sqlalchemy as sa

import openmso.core.types

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('coverage', sa.Column('entered_at', openmso.core.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('coverage') as batch:
        batch.drop_column('entered_at')
