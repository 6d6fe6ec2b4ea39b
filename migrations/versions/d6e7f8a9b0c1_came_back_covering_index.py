"""The came-back figure reads a customer's reminders with their step from the index alone

(customer_id, sent_at, status, step) replaces (customer_id, sent_at, status): the stats join the
customers serviced in the period to their reminders and take the highest step sent by the service
day; without the step in the index each of those reminders was read from the table.

Revision ID: d6e7f8a9b0c1
Revises: c5d6e7f8a9b0
Create Date: 2026-11-25 09:15:00
"""
from alembic import op

revision = 'd6e7f8a9b0c1'
down_revision = 'c5d6e7f8a9b0'
branch_labels = None
depends_on = None


def upgrade():
    # Plain index statements (no batch mode): on SQLite a table copy would drop the search triggers.
    op.create_index('ix_reminder_message_customer_sent_status_step', 'reminder_message',
                    ['customer_id', 'sent_at', 'status', 'step'], unique=False)
    op.drop_index('ix_reminder_message_customer_sent_status', table_name='reminder_message')


def downgrade():
    op.create_index('ix_reminder_message_customer_sent_status', 'reminder_message',
                    ['customer_id', 'sent_at', 'status'], unique=False)
    op.drop_index('ix_reminder_message_customer_sent_status_step', table_name='reminder_message')
