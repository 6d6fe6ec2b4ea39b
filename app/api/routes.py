"""The JSON API of the original service (`/manual-whatsapp/…`), with bearer tokens.

Same paths, field names and status codes as before, so its clients keep working. Writes go
through the same services as the pages. No cookie session is accepted here, which is why the
blueprint is exempt from CSRF.
"""
from datetime import date
from functools import wraps

from flask import g, jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.api.openapi import spec
from app.auth.access import public
from app.extensions import csrf, db
from app.models import Customer, Message
from app.services import api_tokens, batch_runner, reminder_rules, reminders, stats
from app.services import customers as service
from app.services.customers import CustomerInvalid, CustomerQuery
from app.services.refusal import Refused

csrf.exempt(bp)
FIELDS = ("customer_name", "nopol", "no_hp", "last_service", "next_service", "is_active", "notes")
# JSON types each text field may have (a phone may come as a number that lost its leading 0).
TEXT_FIELDS = {"customer_name": (str,), "nopol": (str,), "no_hp": (str, int), "notes": (str, type(None))}
MAX_LIMIT = 500
MAX_BULK = 1000


class ApiError(Exception):
    def __init__(self, status, detail, **extra):
        super().__init__(detail)
        self.status, self.detail, self.extra = status, str(detail), extra


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return jsonify({"detail": error.detail, **error.extra}), error.status


def api_route(rule, **options):
    """A route that authenticates with a bearer token instead of the login session."""

    def decorate(view):
        @wraps(view)
        def authenticated(*args, **kwargs):
            g.api_user = api_tokens.user_for(request.headers.get("Authorization"))
            if g.api_user is None:
                db.session.commit()
                response = jsonify({"detail": "Not authenticated"})
                response.status_code, response.headers["WWW-Authenticate"] = 401, "Bearer"
                return response
            db.session.commit()  # last_used_at
            return view(*args, **kwargs)

        return bp.route(rule, **options)(public(authenticated))

    return decorate


def manager_only():
    if not g.api_user.is_manager:
        raise ApiError(403, "Manager role required")


def record(customer: Customer) -> dict:
    """A customer as the original service returned it."""
    def iso(value):
        return value.isoformat() if value else None

    return {
        "id": str(customer.id), "customer_name": customer.customer_name, "nopol": customer.nopol,
        "no_hp": customer.no_hp, "last_service": iso(customer.last_service), "next_service": iso(customer.next_service),
        "is_active": customer.is_active, "reminder_sent_count": customer.reminder_sent_count,
        "last_reminder_sent": iso(customer.last_reminder_sent), "notes": customer.notes,
        "opted_out": customer.opted_out, "created_at": iso(customer.created_at), "updated_at": iso(customer.updated_at),
    }


def _body(kind=dict):
    payload = request.get_json(silent=True)
    if not isinstance(payload, kind):
        raise ApiError(422, "Request body must be a JSON " + ("object" if kind is dict else "array"))
    return payload


def _fields(payload: dict) -> dict:
    """The known fields of a request, with ISO dates read; anything malformed is a 422."""
    fields = {name: payload[name] for name in FIELDS if name in payload}
    errors = {}
    for name, types in TEXT_FIELDS.items():
        if name in fields and (isinstance(fields[name], bool) or not isinstance(fields[name], types)):
            errors[name] = _("Harus berupa teks.")
    for name in ("last_service", "next_service"):
        if fields.get(name) is not None:
            try:
                if not isinstance(fields[name], str):
                    raise ValueError(name)
                fields[name] = date.fromisoformat(fields[name])
            except ValueError:
                errors[name] = _("Tanggal harus berformat YYYY-MM-DD.")
    if "is_active" in fields and not isinstance(fields["is_active"], bool):
        errors["is_active"] = _("is_active harus true atau false.")
    if errors:
        raise ApiError(422, "; ".join(f"{k}: {v}" for k, v in errors.items()), errors=errors)
    return fields


def _invalid(exc: CustomerInvalid) -> ApiError:
    errors = {name: str(message) for name, message in exc.errors.items()}
    status = 409 if exc.duplicate_of is not None else 422
    return ApiError(status, "; ".join(f"{k}: {v}" for k, v in errors.items()), errors=errors)


def _customer_or_404(customer_id) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise ApiError(404, "Customer not found")
    return customer


@api_route("/", methods=["POST"])
def create():
    """Create a customer: 201 with the record, 409 when the plate exists, 422 on invalid fields."""
    try:
        customer = service.create_customer(_fields(_body()))
    except CustomerInvalid as exc:
        db.session.rollback()
        raise _invalid(exc) from None
    db.session.commit()
    return record(customer), 201


@api_route("/bulk-import", methods=["POST"])
def bulk_import():
    """Create many customers in one transaction; each refused item is reported with its index."""
    items = _body(list)
    if len(items) > MAX_BULK:
        raise ApiError(413, f"At most {MAX_BULK} records per request")
    created, errors = [], []
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise ApiError(422, "Each record must be a JSON object")
            with db.session.begin_nested():
                created.append(service.create_customer(_fields(item)))
        except ApiError as exc:
            errors.append({"index": index, "nopol": (item or {}).get("nopol") if isinstance(item, dict) else None,
                           "detail": exc.detail, **exc.extra})
        except CustomerInvalid as exc:
            error = _invalid(exc)
            errors.append({"index": index, "nopol": item.get("nopol"), "status": error.status,
                           "detail": error.detail, **error.extra})
    db.session.commit()
    return {"created": len(created), "failed": len(errors), "items": [record(c) for c in created], "errors": errors}


def _bool_arg(name):
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ApiError(422, f"{name} must be true or false")


def _int_arg(name, default, low, high):
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        raise ApiError(422, f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise ApiError(422, f"{name} must be between {low} and {high}")
    return value


@api_route("/", methods=["GET"])
def list_customers():
    """Customers page by page: skip, limit, search (name, plate, phone) and is_active."""
    skip, limit = _int_arg("skip", 0, 0, 10**9), _int_arg("limit", 50, 1, MAX_LIMIT)
    active = _bool_arg("is_active")
    query = CustomerQuery(q=request.args.get("search", "")[:100],
                          filter={None: "all", True: "active", False: "inactive"}[active])
    items, total = service.customer_window(query, skip, limit)
    return {"items": [record(c) for c in items], "total": total, "skip": skip, "limit": limit}


@api_route("/<uuid:customer_id>", methods=["GET"])
def get_one(customer_id):
    """One customer."""
    return record(_customer_or_404(customer_id))


@api_route("/by-nopol/<path:nopol>", methods=["GET"])
def by_nopol(nopol):
    """One customer by plate, written with any spacing or case."""
    customer = service.find_by_plate(nopol)
    if customer is None:
        raise ApiError(404, "Customer not found")
    return record(customer)


@api_route("/<uuid:customer_id>", methods=["PUT"])
def update(customer_id):
    """Change the fields given; the others stay."""
    customer = _customer_or_404(customer_id)
    try:
        service.update_customer(customer, _fields(_body()))
    except CustomerInvalid as exc:
        db.session.rollback()
        raise _invalid(exc) from None
    db.session.commit()
    return record(customer)


@api_route("/<uuid:customer_id>/toggle-active", methods=["PATCH"])
def toggle_active(customer_id):
    """Flip is_active."""
    customer = service.toggle_active(_customer_or_404(customer_id))
    db.session.commit()
    return record(customer)


@api_route("/<uuid:customer_id>", methods=["DELETE"])
def delete(customer_id):
    """Delete a customer (archived: its message history and the stats stay as they were)."""
    service.delete_customer(_customer_or_404(customer_id))
    db.session.commit()
    return "", 204


@api_route("/send-reminders", methods=["POST"])
def send_reminders():
    """Send every due reminder, as the manager's page does; answers when the batch is finished."""
    manager_only()
    payload = _body() if request.data else {}
    days = payload.get("days_threshold", reminder_rules.default_days())
    only_active = payload.get("only_active", True)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 365:
        raise ApiError(422, "days_threshold must be a whole number from 0 to 365")
    if not isinstance(only_active, bool):
        raise ApiError(422, "only_active must be true or false")
    include_overdue = payload.get("include_overdue", reminder_rules.include_overdue_by_default())
    overdue_days = payload.get("overdue_days", reminder_rules.default_overdue_days())
    if not isinstance(include_overdue, bool):
        raise ApiError(422, "include_overdue must be true or false")
    if not isinstance(overdue_days, int) or isinstance(overdue_days, bool) or \
            not 1 <= overdue_days <= reminder_rules.MAX_OVERDUE_DAYS:
        raise ApiError(422, f"overdue_days must be a whole number from 1 to {reminder_rules.MAX_OVERDUE_DAYS}")
    if reminders.provider().interactive:
        raise ApiError(409, "WHATSAPP_PROVIDER=link needs a person to press send; use cloud_api or fonnte")
    try:
        batch = reminders.start_batch(days, only_active, g.api_user, Message.API,
                                      overdue_days if include_overdue else 0)
    except Refused as exc:
        db.session.rollback()
        raise ApiError(503, exc.message) from None
    db.session.commit()
    if reminders.provider().personal_number:
        # Paced like a person (minutes to hours): it runs in the background; the answer says "pending".
        batch_runner.launch(batch.id)
    else:
        batch_runner.run_batch(batch.id)
    db.session.refresh(batch)
    progress = reminders.batch_progress(batch)
    return {"batch_id": batch.id, "status": batch.status, "sent": progress.sent, "failed": progress.failed,
            "unconfirmed": progress.unconfirmed, "skipped": progress.skipped, "stop_reason": batch.stop_reason}


@api_route("/<uuid:customer_id>/send-reminder", methods=["POST"])
def send_reminder(customer_id):
    """Send one customer's reminder now: the message's status, provider id and error."""
    customer = _customer_or_404(customer_id)
    try:
        message = reminders.send_now(customer, g.api_user, Message.API)
    except Refused as exc:
        db.session.rollback()
        raise ApiError(409, exc.message) from None
    return {"status": message.status, "message_id": message.provider_message_id,
            "error_code": message.error_code, "error": message.error_message, "customer": record(customer)}


@api_route("/stats/summary", methods=["GET"])
def stats_summary():
    """The figures of the stats page (default: the last 30 days; `from` and `to` choose others)."""
    manager_only()
    try:
        start = date.fromisoformat(request.args["from"]) if request.args.get("from") else None
        end = date.fromisoformat(request.args["to"]) if request.args.get("to") else None
    except ValueError:
        raise ApiError(422, "from and to are dates, YYYY-MM-DD") from None
    return stats.summary(stats.Period.chosen(start, end)).as_dict()


@bp.get("/openapi.json")
@public
def openapi():
    """The OpenAPI 3 description of this API."""
    return spec()
