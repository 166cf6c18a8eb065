"""money in: a received 835's stored copy is kept in parts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 05:50:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Files received before keep their copy in remittance_file.content; new files leave it empty
    # and write their copy here, one part at a time, so receiving a large file never holds it whole.
    op.create_table('remittance_file_part',
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('part', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['remittance_file.id'], name=op.f('fk_remittance_file_part_file_id_remittance_file')),
    sa.PrimaryKeyConstraint('file_id', 'part', name=op.f('pk_remittance_file_part'))
    )


def downgrade() -> None:
    # The parts go back into the content column, file by file and in order, before the table goes.
    connection = op.get_bind()
    files = connection.execute(sa.text("SELECT DISTINCT file_id FROM remittance_file_part ORDER BY file_id")).scalars()
    for file_id in list(files):
        parts = connection.execute(sa.text("SELECT content FROM remittance_file_part WHERE file_id = :id ORDER BY part"),
                                   {"id": file_id}).scalars()
        connection.execute(sa.text("UPDATE remittance_file SET content = content || :text WHERE id = :id"),
                           {"text": "".join(parts), "id": file_id})
    op.drop_table('remittance_file_part')
