"""Indexes for the loop figures per step of the reminder sequence

A reply or a booking request counts for the step of the latest reminder its phone received before
it; (to_phone, sent_at) finds that reminder without reading the phone's other messages. The
customers reminded by the follow-up steps (2 and 3) are counted from (step, sent_at, status,
customer_id): a short range per step, without reading the month's first reminders.

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
    op.create_index('ix_reminder_message_step_sent_status_customer', 'reminder_message',
                    ['step', 'sent_at', 'status', 'customer_id'], unique=False)


def downgrade():
    op.drop_index('ix_reminder_message_step_sent_status_customer', table_name='reminder_message')
    op.drop_index('ix_reminder_message_phone_sent', table_name='reminder_message')
