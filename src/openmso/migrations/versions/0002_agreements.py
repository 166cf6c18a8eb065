"""agreements: management services agreements and their versions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import openmso.core.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('mso_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_at', openmso.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['mso_id'], ['mso.id'], name=op.f('fk_agreement_mso_id_mso')),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_agreement_practice_id_practice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement'))
    )
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_practice_id'), ['practice_id'], unique=False)

    op.create_table('agreement_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('change_note', sa.Text(), nullable=True),
    sa.Column('terms', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
              nullable=False),
    sa.Column('model', sa.String(length=30), nullable=False),
    sa.Column('fee_kind', sa.String(length=40), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('signed_by_practice', sa.String(length=160), nullable=True),
    sa.Column('signed_by_mso', sa.String(length=160), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('created_at', openmso.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('updated_at', openmso.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'],
                            name=op.f('fk_agreement_version_agreement_id_agreement')),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'],
                            name=op.f('fk_agreement_version_practice_id_practice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_version')),
    sa.UniqueConstraint('agreement_id', 'number', name=op.f('uq_agreement_version_agreement_id_number'))
    )
    with op.batch_alter_table('agreement_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_version_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_version_practice_id'), ['practice_id'], unique=False)
        # At most one signed (active) version per practice, enforced by the database itself.
        batch_op.create_index('uq_agreement_version_one_signed_per_practice', ['practice_id'], unique=True,
                              sqlite_where=sa.text("status = 'signed'"),
                              postgresql_where=sa.text("status = 'signed'"))


def downgrade() -> None:
    with op.batch_alter_table('agreement_version', schema=None) as batch_op:
        batch_op.drop_index('uq_agreement_version_one_signed_per_practice')
        batch_op.drop_index(batch_op.f('ix_agreement_version_practice_id'))
        batch_op.drop_index(batch_op.f('ix_agreement_version_agreement_id'))
    op.drop_table('agreement_version')
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_practice_id'))
    op.drop_table('agreement')
