"""variables, connections and rendered task instance fields

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'variable',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('key', sa.String(length=250), nullable=False),
        sa.Column('val', sa.Text(), nullable=True),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('is_encrypted', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_table(
        'connection',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('conn_id', sa.String(length=250), nullable=False),
        sa.Column('conn_type', sa.String(length=500), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('host', sa.String(length=500), nullable=True),
        sa.Column('schema', sa.String(length=500), nullable=True),
        sa.Column('login', sa.Text(), nullable=True),
        sa.Column('password', sa.Text(), nullable=True),
        sa.Column('port', sa.Integer(), nullable=True),
        sa.Column('extra', sa.Text(), nullable=True),
        sa.Column('is_encrypted', sa.Boolean(), nullable=False),
        sa.Column('is_extra_encrypted', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('conn_id'),
    )
    op.create_table(
        'rendered_task_instance_fields',
        sa.Column('run_pk', ID, nullable=False),
        sa.Column('task_id', sa.String(length=250), nullable=False),
        sa.Column('map_index', sa.Integer(), nullable=False),
        sa.Column('try_number', sa.Integer(), nullable=False),
        sa.Column('rendered_fields', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['run_pk'], ['dag_run.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('run_pk', 'task_id', 'map_index'),
    )


def downgrade() -> None:
    op.drop_table('rendered_task_instance_fields')
    op.drop_table('connection')
    op.drop_table('variable')
