"""The app as gunicorn serves it, on a test's clock, in a process of its own:

    gunicorn 'tests.wsgi_at:app_at("SHIFT_SECONDS")'

The configuration comes from the environment, as for `wsgi.py`; the app's clock is shifted like the
test's own app (CLOCK_SHIFT, see app/clock.py), so both agree on what time it is.
"""
from datetime import timedelta

from app import create_app


def app_at(shift_seconds: str):
    app = create_app()
    app.config["CLOCK_SHIFT"] = timedelta(seconds=float(shift_seconds))
    return app
