"""money in: a line posting keeps all its adjustments

A posted service line's adjustments ("CO:45:50.00 PR:2:30.00 …") were cut at 300 characters, about
22 adjustments. The text is the ledger's record of the payer's decision, and the CARC 23 amounts a
later payer reports are read back from it for aging and the KPIs: a token cut in half could not be
read. The column is now unbounded text.

PostgreSQL changes the type in place (varchar to text needs no rewrite). SQLite does not enforce a
length, but the declared type is rebuilt so the schema matches the models.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 03:30:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('line_posting', 'adjustments', type_=sa.Text(), existing_type=sa.String(300),
                        existing_nullable=False)
        return
    with op.batch_alter_table('line_posting') as batch:
        batch.alter_column('adjustments', type_=sa.Text(), existing_type=sa.String(300), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('line_posting', 'adjustments', type_=sa.String(300), existing_type=sa.Text(),
                        existing_nullable=False, postgresql_using='left(adjustments, 300)')
        return
    with op.batch_alter_table('line_posting') as batch:
        batch.alter_column('adjustments', type_=sa.String(300), existing_type=sa.Text(), existing_nullable=False)
