"""Run a `flask` command in a process of its own, on a test's clock.

    python -m tests.cli_at SHIFT_SECONDS reminders send --days 3

The configuration comes from the environment, as for `flask`; the app's clock is shifted like the
test's own app (CLOCK_SHIFT, see app/clock.py), so both agree on what time it is.
"""
import sys
from datetime import timedelta

from flask.cli import ScriptInfo

from app import create_app


def main(shift_seconds: str, args: list[str]):
    app = create_app()
    app.config["CLOCK_SHIFT"] = timedelta(seconds=float(shift_seconds))
    app.cli.main(args=args, prog_name="flask", obj=ScriptInfo(create_app=lambda: app))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
