"""The OpenAPI 3 description of /manual-whatsapp/, kept next to the routes it describes."""
import dataclasses
import typing

RECORD = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "customer_name": {"type": "string"},
        "nopol": {"type": "string", "example": "B 1234 XYZ"},
        "no_hp": {"type": "string", "example": "628123456789"},
        "last_service": {"type": "string", "format": "date", "nullable": True},
        "next_service": {"type": "string", "format": "date", "nullable": True},
        "is_active": {"type": "boolean"},
        "reminder_sent_count": {"type": "integer"},
        "last_reminder_sent": {"type": "string", "format": "date-time", "nullable": True},
        "notes": {"type": "string", "nullable": True},
        "opted_out": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}
# The limits below are the ones app/services/customers.py and normalize.py enforce; a value
# outside them is answered 422 with `errors` by field. Text never contains a NUL character.
_INPUT_PROPERTIES = {
    "customer_name": {"type": "string", "minLength": 1, "maxLength": 120, "pattern": r"\S",
                      "description": "Not blank; spaces are collapsed."},
    "nopol": {"type": "string", "example": "b1234xyz", "pattern": r"^\s*[A-Za-z]{1,2}[\s.-]*[0-9]{1,4}[\s.-]*[A-Za-z]{0,3}\s*$",
              "description": "Any spacing or case: 1-2 letters, 1-4 digits, 0-3 letters (stored as `B 1234 XYZ`)."},
    "no_hp": {"type": "string", "example": "08123456789", "pattern": r"^(\+62|62|0)?8[0-9 .-]{8,14}$",
              "description": "An Indonesian mobile number in any common shape (stored as `628…`)."},
    "last_service": {"type": "string", "format": "date", "nullable": True},
    "next_service": {"type": "string", "format": "date", "nullable": True,
                     "description": "Not before last_service; blank: last_service plus the service interval."},
    "is_active": {"type": "boolean"},
    "notes": {"type": "string", "maxLength": 2000, "nullable": True},
}
INPUT = {"type": "object", "properties": _INPUT_PROPERTIES, "required": ["customer_name", "nopol", "no_hp"]}
UPDATE = {"type": "object", "properties": _INPUT_PROPERTIES}
_COUNT = {"type": "integer", "minimum": 0}
_SUMMARY_LISTS = {
    "top_failures": {"type": "object", "required": ["code", "example", "count"], "properties": {
        "code": {"type": "string"}, "example": {"type": "string", "nullable": True}, "count": _COUNT}},
    "by_step": {
        "type": "object", "required": ["step", "reminded", "replies", "booking_requests", "bookings_made", "came_back"],
        "description": "The loop per step of the reminder sequence: a reply or booking request counts for the latest "
                       "reminder its phone received before it; came back counts for the last step sent by the service day",
        "properties": {"step": {"type": "integer", "minimum": 1, "maximum": 3}, "reminded": _COUNT, "replies": _COUNT,
                       "booking_requests": _COUNT, "bookings_made": _COUNT, "came_back": _COUNT}},
}


def _summary_schema() -> dict:
    """The stats summary's figures, from the Summary dataclass itself (a new figure is documented by adding it)."""
    from app.services.stats import Summary

    kinds = {int: {"type": "integer"}, float: {"type": "number"}, str: {"type": "string"}}
    properties = {}
    for figure in dataclasses.fields(Summary):
        kind = typing.get_type_hints(Summary)[figure.name]
        nullable = type(None) in typing.get_args(kind)
        base = next((arg for arg in typing.get_args(kind) if arg is not type(None)), kind)
        if base is list:
            properties[figure.name] = {"type": "array", "items": _SUMMARY_LISTS[figure.name]}
        else:
            properties[figure.name] = {**kinds[base], **({"nullable": True} if nullable else {})}
    properties["hours_reminder_to_booking_median"]["description"] = (
        "Median hours from a customer's latest reminder to their booking request, over the bookings scheduled")
    properties["came_back_rate"]["description"] = "Customers serviced within 30 days of a reminder, over those reminded"
    return {"type": "object", "required": list(properties), "properties": properties}


ERROR = {"type": "object", "required": ["detail"], "properties": {
    "detail": {"type": "string"},
    "errors": {"type": "object", "additionalProperties": {"type": "string"}, "description": "422: message by field"}}}
BULK_ERROR = {"type": "object", "required": ["index", "detail"], "properties": {
    "index": {"type": "integer", "minimum": 0}, "nopol": {"nullable": True}, "status": {"type": "integer"},
    "detail": {"type": "string"}, "errors": {"type": "object", "additionalProperties": {"type": "string"}}}}


def _json(schema):
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes):
    text = {400: "Malformed JSON, or JSON nested more than 32 levels", 401: "No or revoked token",
            403: "Manager role required", 404: "Not found", 409: "Conflict", 413: "More than 1,000 records",
            422: "Invalid fields", 503: "The database (or, for sending, the provider) cannot be used now"}
    # Every operation may meet an unreachable database (503).
    return {str(code): {"description": text[code], **_json({"$ref": "#/components/schemas/Error"})}
            for code in sorted({*codes, 503})}


ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
REF = {"$ref": "#/components/schemas/Customer"}


def spec() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Manual WhatsApp", "version": "1.0",
                 "description": "Customers outside the main system and their WhatsApp service reminders."},
        "servers": [{"url": "/manual-whatsapp"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Customer": RECORD, "CustomerInput": INPUT, "CustomerUpdate": UPDATE, "Error": ERROR},
        },
        "paths": {
            "/": {
                "post": {"summary": "Create a customer",
                         "requestBody": {"required": True, **_json({"$ref": "#/components/schemas/CustomerInput"})},
                         "responses": {"201": {"description": "Created", **_json(REF)}, **_errors(400, 401, 409, 422)}},
                "get": {"summary": "List customers",
                        "parameters": [
                            {"name": "skip", "in": "query",
                             "schema": {"type": "integer", "minimum": 0, "maximum": 10**9, "default": 0}},
                            {"name": "limit", "in": "query",
                             "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
                            {"name": "search", "in": "query", "schema": {"type": "string"},
                             "description": "Name, plate (any spacing) or phone (any format); first 100 characters"},
                            {"name": "is_active", "in": "query", "schema": {"type": "boolean"}}],
                        "responses": {"200": {"description": "A page of customers", **_json({
                            "type": "object", "properties": {"items": {"type": "array", "items": REF},
                                                             "total": {"type": "integer"},
                                                             "skip": {"type": "integer"},
                                                             "limit": {"type": "integer"}}})},
                            **_errors(401, 422)}},
            },
            "/bulk-import": {"post": {
                "summary": "Create many customers; refused items are reported by index",
                "requestBody": {"required": True, **_json({
                    "type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/CustomerInput"}})},
                "responses": {"200": {"description": "Created and refused", **_json({
                    "type": "object", "properties": {"created": {"type": "integer"}, "failed": {"type": "integer"},
                                                     "items": {"type": "array", "items": REF},
                                                     "errors": {"type": "array", "items": BULK_ERROR}}})},
                    **_errors(400, 401, 413, 422)}}},
            "/{id}": {
                "get": {"summary": "One customer", "parameters": [ID],
                        "responses": {"200": {"description": "The customer", **_json(REF)}, **_errors(401, 404)}},
                "put": {"summary": "Update the fields given", "parameters": [ID],
                        "requestBody": {"required": True, **_json({"$ref": "#/components/schemas/CustomerUpdate"})},
                        "responses": {"200": {"description": "Updated", **_json(REF)},
                                      **_errors(400, 401, 404, 409, 422)}},
                "delete": {"summary": "Delete a customer", "parameters": [ID],
                           "responses": {"204": {"description": "Deleted"}, **_errors(401, 404)}},
            },
            "/by-nopol/{nopol}": {"get": {
                "summary": "One customer by plate (any spacing or case)",
                "parameters": [{"name": "nopol", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The customer", **_json(REF)}, **_errors(401, 404, 422)}}},
            "/{id}/toggle-active": {"patch": {
                "summary": "Flip is_active", "parameters": [ID],
                "responses": {"200": {"description": "Updated", **_json(REF)}, **_errors(401, 404)}}},
            "/send-reminders": {"post": {
                "summary": "Send every due reminder (manager)",
                "requestBody": {**_json({"type": "object", "properties": {
                    "days_threshold": {"type": "integer", "minimum": 0, "maximum": 365,
                                       "description": "default: the reminder_days setting (3 until changed)"},
                    "only_active": {"type": "boolean", "default": True},
                    "include_overdue": {"type": "boolean", "description": (
                        "also remind customers whose next service date has passed, once per service "
                        "date; default: true unless the overdue_days setting is 0")},
                    "overdue_days": {"type": "integer", "minimum": 1, "maximum": 365, "description": (
                        "only customers overdue by at most this many days; default: the overdue_days "
                        "setting (90 until changed), or 90 when it is 0")}}})},
                "responses": {"200": {"description": "Counts", **_json({"type": "object", "properties": {
                    "batch_id": {"type": "integer"}, "status": {"type": "string"}, "sent": {"type": "integer"},
                    "failed": {"type": "integer"}, "unconfirmed": {"type": "integer"}, "skipped": {"type": "integer"},
                    "stop_reason": {"type": "string", "nullable": True}}})},
                    **_errors(400, 401, 403, 409, 422)}}},
            "/{id}/send-reminder": {"post": {
                "summary": "Send one customer's reminder now", "parameters": [ID],
                "responses": {"200": {"description": "The message", **_json({"type": "object", "properties": {
                    "status": {"type": "string", "description": "sent, failed, or unconfirmed (no answer in time)"},
                    "message_id": {"type": "string", "nullable": True},
                    "error_code": {"type": "string", "nullable": True},
                    "error": {"type": "string", "nullable": True}, "customer": REF}})},
                    **_errors(401, 404, 409)}}},
            "/stats/summary": {"get": {
                "summary": "The figures of the stats page (manager)",
                "parameters": [{"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                               {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}}],
                "responses": {"200": {"description": "Figures", **_json(_summary_schema())},
                              **_errors(401, 403, 422)}}},
        },
    }
