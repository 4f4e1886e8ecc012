"""data intervals of runs, and assets (datasets) with their events

Revision ID: 0004_data_intervals_assets
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa



revision = '0004_data_intervals_assets'
down_revision = '0003'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('dag_run') as batch:
        batch.add_column(sa.Column('data_interval_start', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('data_interval_end', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'asset',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('uri', sa.String(length=1500), nullable=False),
        sa.Column('name', sa.String(length=1500), nullable=False),
        sa.Column('group', sa.String(length=1500), nullable=False),
        sa.Column('extra', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('uri'),
    )
    op.create_table(
        'asset_event',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('asset_id', ID, nullable=False),
        sa.Column('extra', sa.JSON(), nullable=False),
        sa.Column('source_dag_id', sa.String(length=250), nullable=True),
        sa.Column('source_task_id', sa.String(length=250), nullable=True),
        sa.Column('source_run_id', sa.String(length=250), nullable=True),
        sa.Column('source_map_index', sa.Integer(), nullable=False),
        sa.Column('timestamp', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_asset_event_asset', 'asset_event', ['asset_id', 'id'])
    op.create_table(
        'asset_dag_cursor',
        sa.Column('dag_id', sa.String(length=250), nullable=False),
        sa.Column('last_event_id', ID, nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['dag_id'], ['dag.dag_id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('dag_id'),
    )
    op.create_table(
        'asset_event_dag_run',
        sa.Column('run_pk', ID, nullable=False),
        sa.Column('event_id', ID, nullable=False),
        sa.ForeignKeyConstraint(['run_pk'], ['dag_run.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['event_id'], ['asset_event.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('run_pk', 'event_id'),
    )


def downgrade() -> None:
    op.drop_table('asset_event_dag_run')
    op.drop_table('asset_dag_cursor')
    op.drop_index('ix_asset_event_asset', table_name='asset_event')
    op.drop_table('asset_event')
    op.drop_table('asset')
    with op.batch_alter_table('dag_run') as batch:
        batch.drop_column('data_interval_end')
        batch.drop_column('data_interval_start')
