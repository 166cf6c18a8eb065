"""money in: a received 835's stored copy is kept as bytes

The parts of a received file's stored copy were latin-1 text, one character per byte. PostgreSQL
text cannot hold a NUL byte, so a file containing one could not be kept, and was lost with the
error; and SQLite's length() of a text stops at the first NUL, so the size announced for the
download was short. The parts are now bytes, exactly as received.

PostgreSQL converts in place (`convert_to(content, 'LATIN1')`). SQLite's own conversion of text to
a blob would give UTF-8 bytes, so there each part is rewritten from Python, one part at a time.
Going back down refuses a stored copy with a NUL byte on PostgreSQL, which text cannot hold.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 21:30:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _rewrite_sqlite_parts(convert) -> None:
    connection = op.get_bind()
    keys = connection.execute(sa.text("SELECT file_id, part FROM remittance_file_part ORDER BY file_id, part")).all()
    for file_id, part in keys:
        where = {"file_id": file_id, "part": part}
        content = connection.execute(sa.text("SELECT content FROM remittance_file_part "
                                             "WHERE file_id = :file_id AND part = :part"), where).scalar_one()
        connection.execute(sa.text("UPDATE remittance_file_part SET content = :content "
                                   "WHERE file_id = :file_id AND part = :part"), {**where, "content": convert(content)})


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('remittance_file_part', 'content', type_=sa.LargeBinary(), existing_nullable=False,
                        postgresql_using="convert_to(content, 'LATIN1')")
        return
    _rewrite_sqlite_parts(lambda text: text if isinstance(text, bytes) else text.encode('latin-1'))
    with op.batch_alter_table('remittance_file_part') as batch:
        batch.alter_column('content', type_=sa.LargeBinary(), existing_type=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('remittance_file_part', 'content', type_=sa.Text(), existing_nullable=False,
                        postgresql_using="convert_from(content, 'LATIN1')")
        return
    _rewrite_sqlite_parts(lambda data: data if isinstance(data, str) else bytes(data).decode('latin-1'))
    with op.batch_alter_table('remittance_file_part') as batch:
        batch.alter_column('content', type_=sa.Text(), existing_type=sa.LargeBinary(), existing_nullable=False)
