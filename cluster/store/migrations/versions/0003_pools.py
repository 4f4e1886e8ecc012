"""pools, and the pool each task instance takes its slots from

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'slot_pool',
        sa.Column('pool', sa.String(length=256), nullable=False),
        sa.Column('slots', sa.Integer(), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('pool'),
    )
    with op.batch_alter_table('task_instance') as batch:
        batch.add_column(sa.Column('pool', sa.String(length=256), nullable=True))
        batch.add_column(sa.Column('pool_slots', sa.Integer(), nullable=False,
                                   server_default='1'))
    op.create_index('ix_ti_pool_state', 'task_instance', ['pool', 'state'])


def downgrade() -> None:
    op.drop_index('ix_ti_pool_state', table_name='task_instance')
    with op.batch_alter_table('task_instance') as batch:
        batch.drop_column('pool_slots')
        batch.drop_column('pool')
    op.drop_table('slot_pool')
