"""The manager's audit page: every change to customers, who made it and when, filterable."""
from datetime import date

from flask import render_template, request

from app import clock
from app.audit import bp
from app.auth.access import manager_required
from app.routing import MAX_ID
from app.services import audit


@bp.before_request
@manager_required
def only_managers():
    """The trail is the manager's."""


def _date_arg(name) -> date | None:
    """A date filter; not a date: no filter; a year like 0001 or 9999: the calendar's edge."""
    try:
        return clock.within_calendar(date.fromisoformat(request.args.get(name, "")))
    except ValueError:
        return None


def _int_arg(name) -> int | None:
    """An id filter; anything but ASCII digits (`²` passes str.isdigit) or an id no row can have: none."""
    value = request.args.get(name, "")
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def _query_from_request() -> audit.AuditQuery:
    action = request.args.get("action", "")
    return audit.AuditQuery(
        action=action if action in audit.ACTIONS else "", user_id=_int_arg("user"),
        q=request.args.get("q", "")[:100], start=_date_arg("from"), end=_date_arg("to"), before=_int_arg("before"),
    )


@bp.get("/")
def index():
    """The trail, newest first: filter by action, account, customer (name or plate) and dates."""
    query = _query_from_request()
    events, older = audit.events(query)
    older_args = {**request.args.to_dict(), "before": older} if older else None
    return render_template("audit/index.html", query=query, events=events, older_args=older_args,
                           actions=audit.ACTIONS, accounts=audit.actors())
