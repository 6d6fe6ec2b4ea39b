"""The customer list's state as the address bar holds it (the list page and the export share it)."""
from flask import current_app, request

from app.services.customers import FILTERS, SORTS, CustomerQuery
from app.services.reminder_rules import default_days


def _int_arg(name, default, low, high):
    try:
        return min(high, max(low, int(request.args.get(name, default))))
    except (TypeError, ValueError):
        return default


def list_query_from_request() -> CustomerQuery:
    """The list's state from the address bar, with anything unknown falling back to the default."""
    filter_ = request.args.get("filter", "all")
    sort = request.args.get("sort", "next")
    return CustomerQuery(
        q=request.args.get("q", "")[:100],
        filter=filter_ if filter_ in FILTERS else "all",
        days=_int_arg("days", default_days(), 1, 365),
        sort=sort if sort in SORTS else "next",
        page=_int_arg("page", 1, 1, 1_000_000),
        per_page=current_app.config["CUSTOMERS_PER_PAGE"],
    )
