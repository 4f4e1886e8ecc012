"""asset events attached through an asset alias

Revision ID: 0005_asset_alias_events
Revises: 0004_data_intervals_assets
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_asset_alias_events'
down_revision = '0004_data_intervals_assets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('asset_event') as batch:
        batch.add_column(sa.Column('source_alias', sa.String(length=1500), nullable=True))
    op.create_index('ix_asset_event_alias', 'asset_event', ['source_alias', 'id'])


def downgrade() -> None:
    op.drop_index('ix_asset_event_alias', table_name='asset_event')
    with op.batch_alter_table('asset_event') as batch:
        batch.drop_column('source_alias')
