"""Bad input refused once, before any view runs: JSON nested too deep and NUL characters.

Views then only ever see text the database can store and JSON they can walk without recursing
a thousand levels. Machines (the API, webhooks) get `{"detail": …}` JSON; people get the error
page, or the inline notice for htmx, naming the field.
"""
import re

from flask import jsonify, request
from flask_babel import gettext as _

from app.errors import API_PREFIX, render_error
from app.services.text import NUL_MESSAGE, has_nul, nul_paths

# Our API needs two levels (a list of records); Meta's webhooks about eight.
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(rb"[^\[\]{}]")


def json_depth(body: bytes) -> int:
    """How deeply a JSON text nests arrays and objects, counted without parsing it."""
    depth = deepest = 0
    for char in _NOT_A_BRACKET.sub(b"", _JSON_STRING.sub(b"", body)):
        if char in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _refuse(status, message, fields=None):
    if request.path.startswith(API_PREFIX):
        body = {"detail": str(message)}
        if fields:
            body["errors"] = {field: str(message) for field in fields}
        return jsonify(body), status
    return render_error(status, message if not fields else f"{', '.join(fields)}: {message}")


def refuse_bad_input():
    """Before every request: too-deep JSON → 400; NUL in the path, query, form, file name or JSON → 400/422."""
    if request.is_json and json_depth(request.get_data(cache=True)) > MAX_JSON_DEPTH:
        return _refuse(400, _("JSON bersarang terlalu dalam (maks. %(n)d tingkat).", n=MAX_JSON_DEPTH))
    if request.blueprint == "webhooks":
        return None  # a customer's reply is the provider's text: its NULs are dropped, not refused
    fields = [name for name in ("path",) if has_nul(request.path)]
    fields += [key for key, values in request.args.lists() if has_nul(key) or any(map(has_nul, values))]
    fields += [key for key, values in request.form.lists() if has_nul(key) or any(map(has_nul, values))]
    fields += [key for key, upload in request.files.items(multi=True) if has_nul(upload.filename)]
    if request.is_json:
        fields += nul_paths(request.get_json(silent=True))
    if fields:
        return _refuse(422 if request.path.startswith(API_PREFIX) else 400, NUL_MESSAGE, fields)
    return None
