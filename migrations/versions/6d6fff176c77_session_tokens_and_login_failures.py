"""session tokens and login failures

Revision ID: 6d6fff176c77
Revises: d5e6f7a8b9c0
Create Date: 2026-11-24 16:06:34.353459

user_account.session_token is part of every session and remember-me cookie: a logout, a password
reset or a deactivation gives the account a new one, which ends all its cookies. Existing accounts
get a random token each (their older cookies, which carry no token, stop working once).

login_failure holds the failed logins the throttle counts, in the database so that every worker
sees them.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6d6fff176c77'
down_revision = 'd5e6f7a8b9c0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_failure',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure'))
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index('ix_login_failure_address_at', ['address', 'at'], unique=False)
        batch_op.create_index('ix_login_failure_at', ['at'], unique=False)
        batch_op.create_index('ix_login_failure_username_address_at', ['username', 'address', 'at'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=32), nullable=True))
    user_account = sa.table('user_account', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(user_account.c.id)).all():
        connection.execute(user_account.update().where(user_account.c.id == user_id)
                           .values(session_token=secrets.token_hex(16)))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_token')

    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failure_username_address_at')
        batch_op.drop_index('ix_login_failure_at')
        batch_op.drop_index('ix_login_failure_address_at')

    op.drop_table('login_failure')
