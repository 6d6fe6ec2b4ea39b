"""The customer list's state as the address bar holds it (the list page and the export share it)."""
from urllib.parse import parse_qsl, urlsplit

from flask import current_app, request
from werkzeug.datastructures import MultiDict

from app.services.customers import FILTERS, SORTS, CustomerQuery
from app.services.reminder_rules import default_days


def _int_arg(args, name, default, low, high):
    try:
        return min(high, max(low, int(args.get(name, default))))
    except (TypeError, ValueError):
        return default


def list_query_from_request(args=None) -> CustomerQuery:
    """The list's state from the address bar (or `args`), with anything unknown falling back to the default."""
    args = request.args if args is None else args
    filter_ = args.get("filter", "all")
    sort = args.get("sort", "next")
    return CustomerQuery(
        q=args.get("q", "")[:100],
        filter=filter_ if filter_ in FILTERS else "all",
        days=_int_arg(args, "days", default_days(), 1, 365),
        sort=sort if sort in SORTS else "next",
        page=_int_arg(args, "page", 1, 1, 1_000_000),
        per_page=current_app.config["CUSTOMERS_PER_PAGE"],
    )


def list_args_of(url: str) -> MultiDict:
    """The list's state held in a list address (a row action's `next`), as request.args would hold it."""
    return MultiDict(parse_qsl(urlsplit(url).query))
