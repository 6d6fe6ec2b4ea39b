"""The command line: `flask users …`, `flask reminders send`, `flask worker`."""
import sys

import click
from flask import current_app
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


@users_cli.command("token")
@click.argument("name")
@click.option("--label", default="CLI", help="What the token is for, shown on the users page.")
@with_appcontext
def token_command(name, label):
    """Print a new API token for user NAME (its last line is the token; it is not shown again)."""
    from app.services.api_tokens import create_token
    from app.services.users import find_user

    user = find_user(name)
    if user is None or not user.active:
        raise click.ClickException(f"no active user named {name}")
    _, plain = create_token(user, label)
    db.session.commit()
    click.echo(f"API token for {user.username} ({user.role}); keep it secret:")
    click.echo(plain)


@click.group("reminders", help="Send service reminders.")
def reminders_cli():
    pass


@reminders_cli.command("send")
@click.option("--days", type=click.IntRange(0, 365), default=None,
              help="Remind customers whose next service is within this many days (default: the setting).")
@click.option("--dry-run", is_flag=True, help="Show who would be reminded; send nothing.")
@click.option("--include-inactive", is_flag=True, help="Also remind inactive customers.")
@click.option("--include-overdue/--no-include-overdue", default=None,
              help="Also remind customers whose service date has passed (default: yes unless the "
                   "overdue_days setting is 0).")
@click.option("--overdue-days", type=click.IntRange(1, 365), default=None,
              help="Only customers overdue by at most this many days (default: the setting, else 90).")
@with_appcontext
def send_command(days, dry_run, include_inactive, include_overdue, overdue_days):
    """Send every due reminder (the cron entry point). Last line: sent: X, failed: Y, skipped: Z."""
    from app import clock
    from app.models import Message
    from app.services import audit, batch_runner, reminder_rules, reminders
    from app.services.settings import get_setting

    days = reminder_rules.default_days() if days is None else days
    if include_overdue is None:
        include_overdue = reminder_rules.include_overdue_by_default()
    overdue_bound = (overdue_days or reminder_rules.default_overdue_days()) if include_overdue else 0
    sender = reminders.provider()
    if sender.problem or sender.interactive:
        problem = sender.problem or "WHATSAPP_PROVIDER=link needs a person to press send; use cloud_api or fonnte"
        click.echo(f"error: {problem}", err=True)
        click.echo("sent: 0, failed: 0, skipped: 0")
        sys.exit(2)
    plan = reminder_rules.plan_batch(days, not include_inactive, overdue_bound)
    if dry_run:
        for customer in plan.to_send:
            late = plan.days_overdue(customer)
            note = f", overdue by {late} days" if late is not None else ""
            click.echo(f"would send: {customer.nopol} {customer.customer_name} ({customer.next_service}{note}, "
                       f"step {plan.step_of(customer)})")
        for customer, reason in plan.left_out:
            click.echo(f"left out: {customer.nopol} {customer.customer_name}: {reason}")
        click.echo(f"sent: 0, failed: 0, skipped: {len(plan.left_out)}")
        return
    if reminder_rules.outside_sending_hours(clock.local_now()):
        click.echo(f"quiet hours ({get_setting('quiet_start')}-{get_setting('quiet_end')} only): nothing sent")
        click.echo("sent: 0, failed: 0, skipped: 0")
        return
    # Batches a personal number's cap or sending hours paused go on first, here (the cron may be
    # the only process running): the cap counts their messages before the new batch's.
    for paused in batch_runner.due_to_resume():
        batch_runner.run_batch(paused)
    batch_runner.resume_stale()
    reminders.settle_abandoned_sends()
    with audit.acting_as(audit.CRON):
        batch = reminders.start_batch(days, not include_inactive, None, Message.CRON, overdue_bound)
    db.session.commit()
    batch_runner.run_batch(batch.id)
    db.session.refresh(batch)
    progress = reminders.batch_progress(batch)
    # Paused by a personal number's cap or sending hours: not a failure, it goes on by itself.
    paused = batch.status == batch.STOPPED and batch.resume_after is not None
    if paused:
        click.echo(f"paused: {batch.stop_reason}")
    elif batch.stop_reason:
        click.echo(f"stopped: {batch.stop_reason}", err=True)
    if progress.unconfirmed:
        click.echo(f"unconfirmed: {progress.unconfirmed} (no answer in time; not resent: check them on /reminders/)")
    steps = reminders.batch_steps(batch)
    if set(steps) - {1}:
        click.echo("by step: " + ", ".join(f"step {step}: {count}" for step, count in sorted(steps.items())))
    click.echo(f"sent: {progress.sent}, failed: {progress.failed}, skipped: {progress.skipped}")
    if batch.stop_reason and not paused:
        sys.exit(1)


@click.command("worker", help="Run an RQ worker for reminder batches (needs REDIS_URL).")
@with_appcontext
def worker_command():
    from rq import Worker

    from app.services.batch_runner import QUEUE_NAME, redis_connection

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: batches run inside the web process, no worker needed")
    Worker([QUEUE_NAME], connection=redis_connection(url)).work()


def run_batch_job(batch_id: int):
    """The RQ job `flask worker` runs (enqueued by its dotted name): a fresh app in the worker."""
    from app import create_app
    from app.services.batch_runner import run_batch

    app = create_app()
    with app.app_context():
        run_batch(batch_id)


def run_import_check_job(batch_id: str):
    """The RQ job that checks an uploaded sheet's rows (enqueued by its dotted name)."""
    import uuid

    from app import create_app
    from app.services.import_checks import run_check

    app = create_app()
    with app.app_context():
        run_check(uuid.UUID(batch_id))


def _sqlite_path():
    from app.extensions import db

    url = db.engine.url
    return url.database if url.get_backend_name() == "sqlite" else None


PG_INSTRUCTIONS = (
    "PostgreSQL: back up with pg_dump, for example\n"
    "  pg_dump --format=custom --file=pengingat-$(date +%F).dump \"$DATABASE_URL_WITHOUT_DRIVER\"\n"
    "and restore into an empty database with\n"
    "  pg_restore --clean --if-exists --no-owner --dbname=\"$DATABASE_URL_WITHOUT_DRIVER\" pengingat-DATE.dump\n"
    "(the URL as libpq reads it: postgresql://user:password@host/db, without '+psycopg')."
)


@click.command("backup", help="Write a consistent copy of the SQLite database (PostgreSQL: prints pg_dump steps).")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path):
    import sqlite3
    from pathlib import Path

    from app import clock

    source = _sqlite_path()
    if source is None:
        click.echo(PG_INSTRUCTIONS)
        sys.exit(2)
    if path is None:
        folder = Path(current_app.instance_path) / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"app-{clock.utcnow().strftime('%Y%m%d-%H%M%S')}.db"
    # SQLite's online backup: a consistent copy even while the app keeps writing.
    with sqlite3.connect(source) as live, sqlite3.connect(path) as copy:
        live.backup(copy)
    click.echo(f"backup written: {path}")


@click.command("restore", help="Replace the SQLite database with a backup made by `flask backup`.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path, yes):
    import sqlite3

    from app.extensions import db

    target = _sqlite_path()
    if target is None:
        click.echo(PG_INSTRUCTIONS)
        sys.exit(2)
    with sqlite3.connect(path) as backup:
        try:
            healthy = backup.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            healthy = False
        if not healthy:
            raise click.ClickException(f"{path} is not a healthy SQLite backup; nothing was restored")
        if not yes:
            click.confirm(f"Replace every customer and message in {target} with {path}?", abort=True)
        db.engine.dispose()
        with sqlite3.connect(target) as live:
            backup.backup(live)
    click.echo(f"restored from {path}; run `flask db upgrade` if the backup is from an older version")


@click.group("main-system", help="The workshop's main system, beside which this one runs.")
def main_system_cli():
    pass


@main_system_cli.command("sync")
@with_appcontext
def main_system_sync_command():
    """Read the main system's plates and phones (the cron entry point). Exit 1, the last list kept, when it fails."""
    from app.services import audit, main_system

    with audit.acting_as(audit.CRON):
        attempt = main_system.sync_database()
    if not attempt.ok:
        click.echo(f"error: {attempt.error}", err=True)
        sys.exit(1)
    click.echo(f"main system: {attempt.entries} plates/phones from {attempt.rows_read} rows"
               f"{f', {attempt.unreadable} rows without a valid plate or phone' if attempt.unreadable else ''}")
