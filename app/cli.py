"""`flask users …`: accounts from the command line."""
import click
from flask.cli import with_appcontext

from app.extensions import db
from app.models import ROLES
from app.services.users import UserInvalid, create_user


@click.group("users", help="Manage user accounts.")
def users_cli():
    pass


@users_cli.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="staff", show_default=True)
@click.option("--password", help="Prompted for (hidden) when not given.")
@with_appcontext
def create_user_command(name, role, password):
    """Create an account NAME with the given role."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(name, password, role)
    except UserInvalid as exc:
        raise click.ClickException(str(exc.message)) from None
    db.session.commit()
    click.echo(f"created {user.role} {user.username}")
