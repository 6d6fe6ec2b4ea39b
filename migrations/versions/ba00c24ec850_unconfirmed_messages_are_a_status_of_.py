"""Unconfirmed messages are a status of their own; count attempts without an answer

Messages that were marked failed with the code "unconfirmed" (in flight when their sender died) or
"timeout" (no answer in time: the provider may have accepted them) become "unconfirmed", so no batch,
cron run or retry sends them again.

Revision ID: ba00c24ec850
Revises: 6d6fff176c77
Create Date: 2026-11-24 16:07:21.629495
"""
import sqlalchemy as sa
from alembic import op

revision = 'ba00c24ec850'
down_revision = '6d6fff176c77'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reminder_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unanswered_attempts', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE reminder_message SET unanswered_attempts = 1 WHERE error_code = 'timeout'")
    op.execute("UPDATE reminder_message SET status = 'unconfirmed' "
               "WHERE status = 'failed' AND error_code IN ('unconfirmed', 'timeout')")


def downgrade():
    op.execute("UPDATE reminder_message SET status = 'failed' WHERE status = 'unconfirmed'")
    with op.batch_alter_table('reminder_message', schema=None) as batch_op:
        batch_op.drop_column('unanswered_attempts')
