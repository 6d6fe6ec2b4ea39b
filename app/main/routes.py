import sqlalchemy as sa
from flask import redirect, url_for
from sqlalchemy.exc import SQLAlchemyError

from app.auth.access import public
from app.extensions import db
from app.main import bp


@bp.get("/")
def index():
    """The front desk starts at the customer list."""
    return redirect(url_for("customers.index"))


@bp.get("/favicon.ico")
@public
def favicon():
    """Browsers ask for /favicon.ico on their own (a PDF viewer, a bookmark): the app's icon."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/healthz")
@public
def healthz():
    """For load balancers and monitoring: the app answers and the database is reachable."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
