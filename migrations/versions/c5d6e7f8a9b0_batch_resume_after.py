"""A batch stopped by a personal number's daily cap or the sending hours resumes by itself

Revision ID: c5d6e7f8a9b0
Revises: b4c5d6e7f8a9
Create Date: 2026-11-25 08:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c5d6e7f8a9b0'
down_revision = 'b4c5d6e7f8a9'
branch_labels = None
depends_on = None


def upgrade():
    # add_column without batch mode: on SQLite a table copy is not needed for a nullable column.
    op.add_column('reminder_batch', sa.Column('resume_after', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('reminder_batch') as batch_op:
        batch_op.drop_column('resume_after')
