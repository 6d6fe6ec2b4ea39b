"""Provider callbacks: no login and no CSRF token, but a signature or a shared secret instead."""
import hmac

from flask import abort, current_app, g, request

from app.auth.access import public
from app.extensions import csrf, db
from app.services import audit, webhooks
from app.webhooks import bp
from app.whatsapp.waha import WahaProvider


@bp.before_request
def name_the_source():
    """Changes made here (opt-outs) are the customer's, through the provider: the trail says so."""
    g.audit_source = audit.WEBHOOK


@bp.get("/whatsapp")
@public
def meta_verify():
    """Meta's subscription check: echo the challenge when our verify token matches."""
    token = current_app.config.get("WHATSAPP_VERIFY_TOKEN")
    given = request.args.get("hub.verify_token", "")
    if request.args.get("hub.mode") == "subscribe" and token and hmac.compare_digest(given, token):
        return request.args.get("hub.challenge", ""), 200, {"Content-Type": "text/plain"}
    abort(403)


@bp.post("/whatsapp")
@public
@csrf.exempt
def meta_events():
    """Statuses and replies from the Cloud API, accepted only with a valid X-Hub-Signature-256."""
    body = request.get_data(cache=True)
    if not webhooks.valid_meta_signature(body, request.headers.get("X-Hub-Signature-256"),
                                         current_app.config.get("WHATSAPP_APP_SECRET")):
        abort(403)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400)
    webhooks.handle_meta(payload)
    db.session.commit()
    return {"status": "ok"}


@bp.post("/fonnte")
@public
@csrf.exempt
def fonnte_events():
    """Statuses and replies from Fonnte; the URL configured there carries our secret (?secret=…)."""
    secret = current_app.config.get("FONNTE_WEBHOOK_SECRET")
    given = request.args.get("secret") or request.headers.get("X-Webhook-Secret") or ""
    if not secret or not hmac.compare_digest(given, secret):
        abort(403)
    payload = request.get_json(silent=True) or request.form.to_dict()
    if not isinstance(payload, dict) or not payload:
        abort(400)
    webhooks.handle_fonnte(payload)
    db.session.commit()
    return {"status": "ok"}


@bp.post("/waha")
@public
@csrf.exempt
def waha_events():
    """Acks and replies from WAHA, accepted only with a valid X-Webhook-Hmac (HMAC-SHA512 of the body)."""
    body = request.get_data(cache=True)
    if not webhooks.valid_waha_signature(body, request.headers.get("X-Webhook-Hmac"),
                                         current_app.config.get("WAHA_WEBHOOK_HMAC_KEY")):
        abort(403)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400)
    # WAHA itself (whatever sends reminders now) resolves a hidden sender id to its number.
    webhooks.handle_waha(payload, WahaProvider(current_app.config) if current_app.config.get("WAHA_BASE_URL") else None)
    db.session.commit()
    return {"status": "ok"}
