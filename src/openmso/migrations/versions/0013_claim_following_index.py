"""claims: an index of later payers' claims (COB)

Aging and the KPIs read every later payer's claim of the practices they report on
(`primary_claim_id IS NOT NULL`), and posting looks up the claims that follow a primary. Without an
index both went through the practice's or the patient's claims, which grow with the network while
secondary claims stay few. The index is partial (PostgreSQL and SQLite both support it): primary
claims, nearly all of them, are not in it and cost nothing when their status changes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 08:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

FOLLOWING = sa.text('primary_claim_id IS NOT NULL')


def upgrade() -> None:
    op.create_index('ix_claim_following', 'claim', ['primary_claim_id', 'practice_id'],
                    postgresql_where=FOLLOWING, sqlite_where=FOLLOWING)


def downgrade() -> None:
    op.drop_index('ix_claim_following', table_name='claim')
