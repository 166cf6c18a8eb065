"""claims: the payer a rebilled claim was billed to before

A claim the payer's front end said went to the wrong payer is billed to another of the patient's plans
(`claims.editing.rebill`), which changes `claim.payer_id`. Insurance aging by payer as of an earlier day
must show the claim under the payer that had it then; the rebill event now keeps that payer. Rebills
written before this revision have none and show under the claim's current payer, as before. Rebills are
few: a partial index finds those after a day without reading the whole timeline.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 14:10:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


REBILLS = sa.text("event = 'rebill'")


def upgrade() -> None:
    op.add_column('claim_event', sa.Column('previous_payer_id', sa.Integer(), nullable=True))
    op.create_index('ix_claim_event_rebill', 'claim_event', ['practice_id', 'occurred_at'],
                    postgresql_where=REBILLS, sqlite_where=REBILLS)


def downgrade() -> None:
    op.drop_index('ix_claim_event_rebill', table_name='claim_event')
    with op.batch_alter_table('claim_event') as batch:
        batch.drop_column('previous_payer_id')
