"""jobs: long work started from a page runs in the background and is recorded

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 09:00:00
"""

from alembic import op
import sqlalchemy as sa

import openmso.core.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=True),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('requester', sa.String(length=120), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('runner', sa.String(length=120), nullable=True),
    sa.Column('created_at', openmso.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', openmso.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', openmso.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_job_practice_id_practice')),
    sa.ForeignKeyConstraint(['requested_by'], ['app_user.id'], name=op.f('fk_job_requested_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    op.create_index('ix_job_status', 'job', ['status'], unique=False)
    op.create_index(op.f('ix_job_practice_id'), 'job', ['practice_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_job_practice_id'), table_name='job')
    op.drop_index('ix_job_status', table_name='job')
    op.drop_table('job')
