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
