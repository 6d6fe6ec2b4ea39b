"""Indexes for the stats: "came back", the opted-out count and the top failures

A customer's reminders are found by (customer_id, sent_at, status), which also serves the history
pages the old customer_id index served; the customers serviced since a date by (last_service, id);
the opted-out customers by opted_out; the top failures by (status, created_at, error_code, id),
which replaces (status, created_at).

Revision ID: d5e6f7a8b9c0
Revises: cc394b590eef
Create Date: 2026-11-24 12:00:00
"""
from alembic import op

revision = 'd5e6f7a8b9c0'
down_revision = 'cc394b590eef'
branch_labels = None
depends_on = None


def upgrade():
    # Plain index statements (no batch mode): on SQLite a table copy would drop the search triggers.
    op.create_index('ix_reminder_message_customer_sent_status', 'reminder_message',
                    ['customer_id', 'sent_at', 'status'], unique=False)
    op.drop_index('ix_reminder_message_customer_id', table_name='reminder_message')
    op.create_index('ix_manual_whatsapp_last_service_id', 'manual_whatsapp', ['last_service', 'id'], unique=False)
    op.create_index('ix_manual_whatsapp_opted_out', 'manual_whatsapp', ['opted_out'], unique=False)
    op.create_index('ix_reminder_message_status_created_code', 'reminder_message',
                    ['status', 'created_at', 'error_code', 'id'], unique=False)
    op.drop_index('ix_reminder_message_status_created', table_name='reminder_message')


def downgrade():
    op.create_index('ix_reminder_message_status_created', 'reminder_message', ['status', 'created_at'], unique=False)
    op.drop_index('ix_reminder_message_status_created_code', table_name='reminder_message')
    op.drop_index('ix_manual_whatsapp_opted_out', table_name='manual_whatsapp')
    op.drop_index('ix_manual_whatsapp_last_service_id', table_name='manual_whatsapp')
    op.create_index('ix_reminder_message_customer_id', 'reminder_message', ['customer_id'], unique=False)
    op.drop_index('ix_reminder_message_customer_sent_status', table_name='reminder_message')
