"""users, customers (manual_whatsapp) and settings

Revision ID: 07799faa56ff
Revises: 
Create Date: 2026-11-24 02:43:40.679465

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '07799faa56ff'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('app_setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_setting'))
    )
    op.create_table('manual_whatsapp',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_name', sa.String(length=120), nullable=False),
    sa.Column('nopol', sa.String(length=16), nullable=False),
    sa.Column('no_hp', sa.String(length=16), nullable=False),
    sa.Column('last_service', sa.Date(), nullable=True),
    sa.Column('next_service', sa.Date(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('reminder_sent_count', sa.Integer(), nullable=False),
    sa.Column('last_reminder_sent', sa.DateTime(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('opted_out_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manual_whatsapp')),
    sa.UniqueConstraint('nopol', name=op.f('uq_manual_whatsapp_nopol'))
    )
    with op.batch_alter_table('manual_whatsapp', schema=None) as batch_op:
        batch_op.create_index('ix_manual_whatsapp_active_next_service', ['is_active', 'next_service'], unique=False)
        batch_op.create_index('ix_manual_whatsapp_customer_name', ['customer_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_manual_whatsapp_last_reminder_sent'), ['last_reminder_sent'], unique=False)
        batch_op.create_index(batch_op.f('ix_manual_whatsapp_next_service'), ['next_service'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("role IN ('manager', 'staff')", name=op.f('ck_user_account_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )


def downgrade():
    op.drop_table('user_account')
    with op.batch_alter_table('manual_whatsapp', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manual_whatsapp_next_service'))
        batch_op.drop_index(batch_op.f('ix_manual_whatsapp_last_reminder_sent'))
        batch_op.drop_index('ix_manual_whatsapp_customer_name')
        batch_op.drop_index('ix_manual_whatsapp_active_next_service')

    op.drop_table('manual_whatsapp')
    op.drop_table('app_setting')
