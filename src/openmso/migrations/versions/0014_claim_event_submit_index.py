"""claims: an index of submissions, which insurance A/R ages from

Aging and the KPIs age a claim from its first submission (the earliest 'submit' event of its
timeline), not from `claim.submitted_at`, its latest: a rejected claim corrected and sent again kept
restarting its clock. The index is partial (PostgreSQL and SQLite both support it): only submissions,
about one event in seven, are in it, so the aggregate reads it alone.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 09:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

SUBMISSIONS = sa.text("event = 'submit'")


def upgrade() -> None:
    op.create_index('ix_claim_event_submit', 'claim_event', ['practice_id', 'claim_id', 'occurred_at'],
                    postgresql_where=SUBMISSIONS, sqlite_where=SUBMISSIONS)


def downgrade() -> None:
    op.drop_index('ix_claim_event_submit', table_name='claim_event')
