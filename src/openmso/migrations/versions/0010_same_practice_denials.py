"""same-practice references: claim postings and denial cases point into their own practice

The claim posting referred to its claim by id alone and to the practice separately, and so did the
denial case (to its claim and claim posting) and the denial note (to its case). They now refer by
(id, practice_id) (`core.db.same_practice`), as the line postings do since 0009: the database refuses
a posting, case or note whose parent belongs to another practice. Denial cases get the unique
(id, practice_id) index their notes refer to.

On SQLite the claim posting and the denial case are copied and rebuilt while other tables refer to
them, which the migration environment allows by switching SQLite's reference checks off for the
run and checking every reference after each migration instead.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 21:10:00
"""

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

PARENTS = ('denial_case',)
# child table -> the columns that now refer with practice_id, each to its parent table
REFERENCES = {
    'claim_posting': {'claim_id': 'claim'},
    'denial_case': {'claim_id': 'claim', 'claim_posting_id': 'claim_posting'},
    'denial_note': {'case_id': 'denial_case'},
}


def _name(child: str, column: str, parent: str) -> str:
    return f'fk_{child}_{column}_{parent}'


def upgrade() -> None:
    for parent in PARENTS:
        op.create_index(f'uq_{parent}_id_practice_id', parent, ['id', 'practice_id'], unique=True)
    for child, references in REFERENCES.items():
        with op.batch_alter_table(child) as batch:
            batch.drop_constraint(_name(child, 'practice_id', 'practice'), type_='foreignkey')
            for column, parent in references.items():
                batch.drop_constraint(_name(child, column, parent), type_='foreignkey')
                batch.create_foreign_key(_name(child, column, parent), parent, [column, 'practice_id'],
                                         ['id', 'practice_id'])


def downgrade() -> None:
    for child, references in reversed(REFERENCES.items()):
        with op.batch_alter_table(child) as batch:
            for column, parent in references.items():
                batch.drop_constraint(_name(child, column, parent), type_='foreignkey')
                batch.create_foreign_key(_name(child, column, parent), parent, [column], ['id'])
            batch.create_foreign_key(_name(child, 'practice_id', 'practice'), 'practice', ['practice_id'], ['id'])
    for parent in PARENTS:
        op.drop_index(f'uq_{parent}_id_practice_id', table_name=parent)
