"""Import checks run in the background: their progress, heartbeat and failure

Revision ID: e1f2a3b4c5d6
Revises: ba00c24ec850
Create Date: 2026-11-24 21:35:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'e1f2a3b4c5d6'
down_revision = 'ba00c24ec850'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batch') as batch_op:
        batch_op.add_column(sa.Column('checked_rows', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failure', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_batch') as batch_op:
        batch_op.drop_column('failure')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('checked_rows')
