"""Indexes for the loop figures per step of the reminder sequence

A reply or a booking request counts for the step of the latest reminder its phone received before
it; (to_phone, sent_at) finds that reminder without reading the phone's other messages. The
customers reminded per step are counted from the covering (sent_at, status, customer_id) index,
which now carries the step too, so a month of messages is still read without visiting the table.

Revision ID: a3b4c5d6e7f8
Revises: f2a3b4c5d6e7
Create Date: 2026-11-25 06:00:00
"""
from alembic import op

revision = 'a3b4c5d6e7f8'
down_revision = 'f2a3b4c5d6e7'
branch_labels = None
depends_on = None


def upgrade():
    # A plain index statement (no batch mode): on SQLite a table copy would drop the search triggers.
    op.create_index('ix_reminder_message_phone_sent', 'reminder_message', ['to_phone', 'sent_at'], unique=False)
    op.create_index('ix_reminder_message_sent_status_customer_step', 'reminder_message',
                    ['sent_at', 'status', 'customer_id', 'step'], unique=False)
    op.drop_index('ix_reminder_message_sent_status_customer', table_name='reminder_message')


def downgrade():
    op.create_index('ix_reminder_message_sent_status_customer', 'reminder_message',
                    ['sent_at', 'status', 'customer_id'], unique=False)
    op.drop_index('ix_reminder_message_sent_status_customer_step', table_name='reminder_message')
    op.drop_index('ix_reminder_message_phone_sent', table_name='reminder_message')
