"""The OpenAPI 3 description of /manual-whatsapp/, kept next to the routes it describes."""

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
INPUT = {
    "type": "object",
    "properties": {
        "customer_name": {"type": "string"}, "nopol": {"type": "string", "example": "b1234xyz"},
        "no_hp": {"type": "string", "example": "08123456789"},
        "last_service": {"type": "string", "format": "date", "nullable": True},
        "next_service": {"type": "string", "format": "date", "nullable": True},
        "is_active": {"type": "boolean"}, "notes": {"type": "string", "nullable": True},
    },
}
ERROR = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}


def _json(schema):
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes):
    text = {400: "Bad request", 401: "No or revoked token", 403: "Manager role required", 404: "Not found",
            409: "Conflict", 413: "Too many records", 422: "Invalid fields", 503: "Provider not usable"}
    return {str(code): {"description": text[code], **_json({"$ref": "#/components/schemas/Error"})} for code in codes}


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
            "schemas": {"Customer": RECORD, "CustomerInput": INPUT, "Error": ERROR},
        },
        "paths": {
            "/": {
                "post": {"summary": "Create a customer",
                         "requestBody": {"required": True, **_json({"$ref": "#/components/schemas/CustomerInput"})},
                         "responses": {"201": {"description": "Created", **_json(REF)}, **_errors(401, 409, 422)}},
                "get": {"summary": "List customers",
                        "parameters": [
                            {"name": "skip", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
                            {"name": "limit", "in": "query",
                             "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
                            {"name": "search", "in": "query", "schema": {"type": "string"}},
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
                "requestBody": {"required": True, **_json({"type": "array",
                                                           "items": {"$ref": "#/components/schemas/CustomerInput"}})},
                "responses": {"200": {"description": "Created and refused", **_json({
                    "type": "object", "properties": {"created": {"type": "integer"}, "failed": {"type": "integer"},
                                                     "items": {"type": "array", "items": REF},
                                                     "errors": {"type": "array", "items": {"type": "object"}}}})},
                    **_errors(401, 413, 422)}}},
            "/{id}": {
                "get": {"summary": "One customer", "parameters": [ID],
                        "responses": {"200": {"description": "The customer", **_json(REF)}, **_errors(401, 404)}},
                "put": {"summary": "Update the fields given", "parameters": [ID],
                        "requestBody": {"required": True, **_json({"$ref": "#/components/schemas/CustomerInput"})},
                        "responses": {"200": {"description": "Updated", **_json(REF)}, **_errors(401, 404, 409, 422)}},
                "delete": {"summary": "Delete a customer", "parameters": [ID],
                           "responses": {"204": {"description": "Deleted"}, **_errors(401, 404)}},
            },
            "/by-nopol/{nopol}": {"get": {
                "summary": "One customer by plate (any spacing or case)",
                "parameters": [{"name": "nopol", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The customer", **_json(REF)}, **_errors(401, 404)}}},
            "/{id}/toggle-active": {"patch": {
                "summary": "Flip is_active", "parameters": [ID],
                "responses": {"200": {"description": "Updated", **_json(REF)}, **_errors(401, 404)}}},
            "/send-reminders": {"post": {
                "summary": "Send every due reminder (manager)",
                "requestBody": {**_json({"type": "object", "properties": {
                    "days_threshold": {"type": "integer", "description": "default: the reminder_days setting (3)"},
                    "only_active": {"type": "boolean", "default": True}}})},
                "responses": {"200": {"description": "Counts", **_json({"type": "object", "properties": {
                    "batch_id": {"type": "integer"}, "status": {"type": "string"}, "sent": {"type": "integer"},
                    "failed": {"type": "integer"}, "unconfirmed": {"type": "integer"}, "skipped": {"type": "integer"},
                    "stop_reason": {"type": "string", "nullable": True}}})},
                    **_errors(401, 403, 409, 422, 503)}}},
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
                "responses": {"200": {"description": "Figures", **_json({"type": "object"})},
                              **_errors(401, 403, 422)}}},
        },
    }
