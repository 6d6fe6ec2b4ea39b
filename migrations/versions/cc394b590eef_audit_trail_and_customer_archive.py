"""audit trail and customer archive

Revision ID: cc394b590eef
Revises: c4d5e6f7a8b9
Create Date: 2026-11-24 04:52:02.148161

Every change to a customer is written to audit_event. A deleted customer moves to
customer_archive under the same id, so reminder_message.customer_id no longer references the live
table (its foreign key is dropped): messages keep pointing at the customer, live or archived.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cc394b590eef'
down_revision = 'c4d5e6f7a8b9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=True),
    sa.Column('customer_name', sa.String(length=120), nullable=True),
    sa.Column('nopol', sa.String(length=16), nullable=True),
    sa.Column('changes', sa.Text(), nullable=True),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_audit_event_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_action_id', ['action', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_audit_event_customer_id_id', ['customer_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_user_id_id', ['user_id', 'id'], unique=False)

    op.create_table('customer_archive',
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
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['deleted_by_id'], ['user_account.id'], name=op.f('fk_customer_archive_deleted_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_archive'))
    )
    with op.batch_alter_table('customer_archive', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_archive_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_archive_nopol'), ['nopol'], unique=False)

    with op.batch_alter_table('reminder_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reminder_message_customer_id_manual_whatsapp'), type_='foreignkey')



def downgrade():
    # The foreign key can only come back once no message points at an archived customer.
    op.execute("UPDATE reminder_message SET customer_id = NULL "
               "WHERE customer_id IS NOT NULL AND customer_id NOT IN (SELECT id FROM manual_whatsapp)")
    with op.batch_alter_table('reminder_message', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_reminder_message_customer_id_manual_whatsapp'), 'manual_whatsapp', ['customer_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('customer_archive', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_archive_nopol'))
        batch_op.drop_index(batch_op.f('ix_customer_archive_deleted_at'))

    op.drop_table('customer_archive')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_user_id_id')
        batch_op.drop_index('ix_audit_event_customer_id_id')
        batch_op.drop_index('ix_audit_event_created_at')
        batch_op.drop_index('ix_audit_event_action_id')

    op.drop_table('audit_event')
