"""What providers tell us later: delivery statuses and customers' replies (opt-outs)."""
import hashlib
import hmac
import logging
import re
from datetime import UTC, datetime

import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import Customer, Message
from app.services import customers
from app.whatsapp.cloud_api import means_opted_out

logger = logging.getLogger(__name__)

# A status only ever moves forward; events may repeat or arrive out of order.
RANK = {Message.QUEUED: 0, Message.SENDING: 0, Message.SENT: 1, Message.DELIVERED: 2, Message.READ: 3}
_OPT_OUT = re.compile(r"\b(stop|berhenti|unsubscribe|unsub)\b|jangan\s+kirim")


def valid_meta_signature(body: bytes, header: str | None, secret: str | None) -> bool:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`."""
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def is_opt_out(text: str) -> bool:
    """STOP, BERHENTI, UNSUBSCRIBE, JANGAN KIRIM LAGI and polite sentences around them."""
    return bool(_OPT_OUT.search(" ".join((text or "").lower().split())))


def _when(timestamp) -> datetime:
    try:
        return datetime.fromtimestamp(int(timestamp), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return clock.utcnow()


def apply_status(provider_message_id: str, status: str, timestamp=None, error_code=None, error_text=None) -> bool:
    """Move a message to `status` if that is forward; returns whether anything changed."""
    message = db.session.scalar(sa.select(Message).where(Message.provider_message_id == str(provider_message_id)))
    if message is None:
        logger.info("status %s for unknown message %s", status, provider_message_id)
        return False
    when = _when(timestamp)
    if status == Message.FAILED:
        # A failure after delivery cannot happen; a late or repeated one is ignored.
        if RANK.get(message.status, 0) >= RANK[Message.DELIVERED] or message.status == Message.FAILED:
            return False
        message.status, message.failed_at = Message.FAILED, when
        message.error_code = str(error_code) if error_code else None
        message.error_message = error_text
        if means_opted_out(error_code) and message.customer_id:
            opt_out_customers(sa.select(Customer).where(Customer.id == message.customer_id),
                              f"{error_code} {error_text or ''}".strip())
        return True
    if status not in RANK or (message.status == Message.FAILED and RANK[status] < RANK[Message.DELIVERED]):
        return False
    if RANK[status] <= RANK.get(message.status, 0):
        return False
    message.status = status
    if status == Message.DELIVERED:
        message.delivered_at = message.delivered_at or when
    if status == Message.READ:
        message.read_at = message.read_at or when
        message.delivered_at = message.delivered_at or when  # read implies delivered
    return True


def opt_out_customers(statement, reason: str) -> int:
    """Stop automatic reminders for the selected customers; returns how many were still subscribed."""
    return sum(customers.opt_out(customer, reason) for customer in db.session.scalars(statement))


def handle_reply(phone: str, text: str) -> int:
    """A customer wrote to us; an opt-out word stops their automatic reminders."""
    if not is_opt_out(text):
        return 0
    digits = re.sub(r"\D", "", phone or "")
    return opt_out_customers(sa.select(Customer).where(Customer.no_hp == digits), text[:200])


# --- the shapes a provider sends -------------------------------------------------------------
# A signed payload is acknowledged whatever its shape (a refusal would only make the provider send
# it again); the parts that are not the documented shape are logged and left out.

def _objects(value, where: str) -> list[dict]:
    """The JSON objects of a list; anything else is logged and skipped."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    objects = [item for item in items if isinstance(item, dict)]
    if len(objects) != len(items):
        logger.warning("webhook: %s is not a list of objects; %d item(s) ignored", where, len(items) - len(objects))
    return objects


def _text(value) -> str:
    """A text field as text: numbers are written out, NULs dropped, anything else is empty."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value).replace("\x00", "")


def handle_meta(payload: dict) -> None:
    for entry in _objects(payload.get("entry"), "entry"):
        for change in _objects(entry.get("changes"), "entry.changes"):
            value = change.get("value") if isinstance(change.get("value"), dict) else {}
            for status in _objects(value.get("statuses"), "value.statuses"):
                errors = _objects(status.get("errors"), "status.errors") or [{}]
                apply_status(_text(status.get("id")), _text(status.get("status")), status.get("timestamp"),
                             _text(errors[0].get("code")) or None, _text(errors[0].get("title")) or None)
            for incoming in _objects(value.get("messages"), "value.messages"):
                if incoming.get("type") == "text":
                    text = incoming.get("text")
                    body = text.get("body") if isinstance(text, dict) else text
                    handle_reply(_text(incoming.get("from")), _text(body))


FONNTE_STATES = {"sent": Message.SENT, "delivered": Message.DELIVERED, "read": Message.READ,
                 "failed": Message.FAILED}


def handle_fonnte(payload: dict) -> None:
    payload = {str(key).lower(): value for key, value in payload.items()}
    if payload.get("sender") and "message" in payload:
        handle_reply(_text(payload["sender"]), _text(payload.get("message")))
        return
    state = _text(payload.get("state") or payload.get("status")).lower()
    if _text(payload.get("id")) and state in FONNTE_STATES:
        apply_status(_text(payload["id"]), FONNTE_STATES[state])
