"""same-practice references: posting rows, the patient ledger and claim events point into their own practice

A line posting, a patient ledger entry and a claim event referred to their claim posting, claim line,
patient or claim by id alone, and to the practice separately. They now refer by (id, practice_id), so
the database refuses a row whose parent belongs to another practice, and checks each reference once
(`core.db.same_practice`). The parents get a unique (id, practice_id) index to be referred to.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 19:40:00
"""

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

PARENTS = ('claim', 'claim_line', 'patient', 'claim_posting')
# child table -> the columns that now refer with practice_id, each to its parent table
REFERENCES = {
    'claim_event': {'claim_id': 'claim'},
    'line_posting': {'claim_posting_id': 'claim_posting', 'claim_line_id': 'claim_line'},
    'patient_ledger': {'patient_id': 'patient', 'claim_id': 'claim'},
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
    for child, references in REFERENCES.items():
        with op.batch_alter_table(child) as batch:
            for column, parent in references.items():
                batch.drop_constraint(_name(child, column, parent), type_='foreignkey')
                batch.create_foreign_key(_name(child, column, parent), parent, [column], ['id'])
            batch.create_foreign_key(_name(child, 'practice_id', 'practice'), 'practice', ['practice_id'], ['id'])
    for parent in PARENTS:
        op.drop_index(f'uq_{parent}_id_practice_id', table_name=parent)
