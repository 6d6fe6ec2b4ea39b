"""indexes for the customer list: its default order, never-reminded filter, trigram search on PostgreSQL

Revision ID: b3c1d2e4f5a6
Revises: 55eb0dc7ff13
Create Date: 2026-11-24 04:00:00

"""
from alembic import op

revision = 'b3c1d2e4f5a6'
down_revision = '55eb0dc7ff13'
branch_labels = None
depends_on = None


def upgrade():
    op.execute('CREATE INDEX ix_manual_whatsapp_list_order ON manual_whatsapp '
               '((next_service IS NULL), next_service, customer_name, id)')
    op.create_index('ix_manual_whatsapp_reminder_count_next', 'manual_whatsapp',
                    ['reminder_sent_count', 'next_service'])
    if op.get_bind().dialect.name == 'postgresql':
        # pg_trgm is a trusted extension: the database owner may create it.
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('CREATE INDEX ix_manual_whatsapp_name_trgm ON manual_whatsapp '
                   'USING gin (customer_name gin_trgm_ops)')
        op.execute("CREATE INDEX ix_manual_whatsapp_nopol_trgm ON manual_whatsapp "
                   "USING gin ((replace(nopol, ' ', '')) gin_trgm_ops)")
        op.execute('CREATE INDEX ix_manual_whatsapp_no_hp_trgm ON manual_whatsapp USING gin (no_hp gin_trgm_ops)')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for name in ('ix_manual_whatsapp_no_hp_trgm', 'ix_manual_whatsapp_nopol_trgm', 'ix_manual_whatsapp_name_trgm'):
            op.drop_index(name, table_name='manual_whatsapp')
    op.drop_index('ix_manual_whatsapp_reminder_count_next', table_name='manual_whatsapp')
    op.drop_index('ix_manual_whatsapp_list_order', table_name='manual_whatsapp')
