"""Conversations: customers' replies and staff's answers, one thread per phone; booking requests;
one reminder for the plates that share a phone; the step of a reminder sequence

Revision ID: f2a3b4c5d6e7
Revises: e1f2a3b4c5d6
Create Date: 2026-11-25 03:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'f2a3b4c5d6e7'
down_revision = 'e1f2a3b4c5d6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reminder_message') as batch_op:
        batch_op.add_column(sa.Column('sent_with_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('step', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_index(op.f('ix_reminder_message_sent_with_id'), ['sent_with_id'])
    op.create_table(
        'chat_message',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('direction', sa.String(length=3), nullable=False),
        sa.Column('phone', sa.String(length=16), nullable=False),
        sa.Column('provider', sa.String(length=16), nullable=False),
        sa.Column('dedupe_key', sa.String(length=200), nullable=True),
        sa.Column('provider_message_id', sa.String(length=128), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('sender_name', sa.String(length=120), nullable=True),
        sa.Column('meaning', sa.String(length=16), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('handled_at', sa.DateTime(), nullable=True),
        sa.Column('handled_by_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=True),
        sa.Column('error_message', sa.Text(), nullable=True),
        sa.CheckConstraint("direction IN ('in', 'out')", name=op.f('ck_chat_message_direction')),
        sa.ForeignKeyConstraint(['handled_by_id'], ['user_account.id'],
                                name=op.f('fk_chat_message_handled_by_id_user_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_chat_message_user_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_message')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_chat_message_dedupe_key')),
    )
    op.create_index('ix_chat_message_phone_at', 'chat_message', ['phone', 'at'])
    op.create_index('ix_chat_message_waiting', 'chat_message', ['handled_at', 'direction', 'phone'])
    op.create_table(
        'booking_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('phone', sa.String(length=16), nullable=False),
        sa.Column('reply_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('customer_id', sa.Uuid(), nullable=True),
        sa.Column('scheduled_for', sa.DateTime(), nullable=True),
        sa.Column('service_date', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('handled_at', sa.DateTime(), nullable=True),
        sa.Column('handled_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['reply_id'], ['chat_message.id'],
                                name=op.f('fk_booking_request_reply_id_chat_message'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['handled_by_id'], ['user_account.id'],
                                name=op.f('fk_booking_request_handled_by_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_request')),
        sa.UniqueConstraint('reply_id', name=op.f('uq_booking_request_reply_id')),
    )
    op.create_index('ix_booking_request_status_created', 'booking_request', ['status', 'created_at'])


def downgrade():
    with op.batch_alter_table('reminder_message') as batch_op:
        batch_op.drop_index(op.f('ix_reminder_message_sent_with_id'))
        batch_op.drop_column('step')
        batch_op.drop_column('sent_with_id')
    op.drop_index('ix_booking_request_status_created', table_name='booking_request')
    op.drop_table('booking_request')
    op.drop_index('ix_chat_message_waiting', table_name='chat_message')
    op.drop_index('ix_chat_message_phone_at', table_name='chat_message')
    op.drop_table('chat_message')
