"""What providers tell us later: delivery statuses and customers' replies (opt-outs)."""
import hashlib
import hmac
import logging
from datetime import UTC, datetime

import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import Customer, Message
from app.services import bookings, conversations, customers
from app.services.normalize import ascii_digits, normalize_phone
from app.services.refusal import Refused
from app.whatsapp.cloud_api import means_opted_out

logger = logging.getLogger(__name__)

# A status only ever moves forward; events may repeat or arrive out of order.
RANK = {Message.QUEUED: 0, Message.SENDING: 0, Message.SENT: 1, Message.DELIVERED: 2, Message.READ: 3}


def valid_waha_signature(body: bytes, header: str | None, key: str | None) -> bool:
    """`X-Webhook-Hmac: <hex HMAC-SHA512 of the raw body with the webhook's hmac.key>` (WAHA)."""
    if not key or not header:
        return False
    expected = hmac.new(key.encode(), body, hashlib.sha512).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode("utf-8", "replace"))


def valid_meta_signature(body: bytes, header: str | None, secret: str | None) -> bool:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`."""
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    # As bytes: a header with other characters than hex digits is simply wrong, never a 500.
    return hmac.compare_digest(expected.encode(), header.removeprefix("sha256=").encode("utf-8", "replace"))


def _when(timestamp) -> datetime:
    try:
        return datetime.fromtimestamp(int(timestamp), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return clock.utcnow()


def apply_status(provider_message_id: str, status: str, timestamp=None, error_code=None, error_text=None) -> bool:
    """Move the message (and the plates it named with it) to `status` if that is forward; returns whether anything changed."""
    messages = db.session.scalars(sa.select(Message).where(Message.provider_message_id == str(provider_message_id))).all()
    if not messages:
        logger.info("status %s for unknown message %s", status, provider_message_id)
        return False
    changed = [_apply_status(message, status, _when(timestamp), error_code, error_text) for message in messages]
    return any(changed)


def _apply_status(message: Message, status: str, when, error_code, error_text) -> bool:
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


def handle_reply(provider: str, sender: str, text: str, **details) -> None:
    """A customer wrote to us: kept in the phone's thread (once), an opt-out stops their reminders."""
    try:
        phone = normalize_phone(sender)
    except Refused:
        # Not an Indonesian mobile, so no customer's: kept under the sender's digits for a person to see.
        phone = "".join(character for character in ascii_digits(sender) if character.isdigit())[:16]
        if not phone:
            logger.warning("webhook: a reply without a sender number; ignored")
            return
    reply = conversations.record_reply(provider, phone, text, **details)
    if reply is not None:
        bookings.open_from_reply(reply)


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
            names = {_text(contact.get("wa_id")): _text((contact.get("profile") or {}).get("name"))
                     for contact in _objects(value.get("contacts"), "value.contacts")
                     if isinstance(contact.get("profile") or {}, dict)}
            for incoming in _objects(value.get("messages"), "value.messages"):
                sender = _text(incoming.get("from"))
                kind = _text(incoming.get("type")) or "text"
                words = _meta_text(incoming, kind)
                # A tapped quick-reply button or list item is an answer in words, like a typed one.
                handle_reply("cloud_api", sender, words, kind="text" if kind in ("button", "interactive") else kind,
                             message_id=_text(incoming.get("id")) or None, sender_name=names.get(sender),
                             at=_when(incoming.get("timestamp")))


def _meta_text(incoming: dict, kind: str) -> str:
    """The words of an incoming Cloud API message: its text, a caption, a button's title, an emoji."""
    part = incoming.get(kind)
    if not isinstance(part, dict):
        return _text(part) if kind == "text" else ""
    if kind == "interactive":
        chosen = part.get("button_reply") or part.get("list_reply")
        return _text(chosen.get("title")) if isinstance(chosen, dict) else ""
    for name in ("body", "caption", "text", "emoji"):
        if part.get(name):
            return _text(part[name])
    return ""


FONNTE_STATES = {"sent": Message.SENT, "delivered": Message.DELIVERED, "read": Message.READ,
                 "failed": Message.FAILED}


def _fingerprint(payload: dict, text: str) -> str:
    minute = int(clock.utcnow().timestamp() // 60)
    raw = "\x1f".join((_text(payload.get("device")), _text(payload.get("sender")), text, _text(payload.get("url")),
                       str(minute)))
    return "sha256-" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def handle_fonnte(payload: dict) -> None:
    payload = {str(key).lower(): value for key, value in payload.items()}
    if payload.get("sender") and "message" in payload:
        # Fonnte's callback carries no message id of its own in every version; when it has none, the
        # same words from the same number within a minute are taken as Fonnte repeating itself.
        text = _text(payload.get("message"))
        message_id = _text(payload.get("inboxid") or payload.get("id")) or _fingerprint(payload, text)
        handle_reply("fonnte", _text(payload["sender"]), text, message_id=message_id,
                     sender_name=_text(payload.get("name")) or None,
                     kind="text" if text or not payload.get("url") else "image")
        return
    state = _text(payload.get("state") or payload.get("status")).lower()
    if _text(payload.get("id")) and state in FONNTE_STATES:
        apply_status(_text(payload["id"]), FONNTE_STATES[state])


# WAHA's ack levels (WAMessageAck): SERVER 1 → sent, DEVICE 2 → delivered, READ 3 and PLAYED 4 → read,
# ERROR -1 → failed; PENDING 0 says nothing new.
WAHA_ACKS = {-1: Message.FAILED, 1: Message.SENT, 2: Message.DELIVERED, 3: Message.READ, 4: Message.READ}
WAHA_MEDIA = {"image": "image", "video": "video", "audio": "audio", "application": "document"}


def _waha_sender(payload: dict, provider) -> str:
    """The phone of an incoming WAHA message: `62…@c.us`, or behind a hidden `…@lid` id the number
    the engine gives beside it, or the one WAHA's lids API knows."""
    sender = _text(payload.get("from"))
    if not sender.endswith("@lid"):
        return sender.split("@")[0]
    data = payload.get("_data") if isinstance(payload.get("_data"), dict) else {}
    key = data.get("key") if isinstance(data.get("key"), dict) else {}
    info = data.get("Info") if isinstance(data.get("Info"), dict) else {}
    for alternative in (key.get("remoteJidAlt"), key.get("participantAlt"), info.get("SenderAlt")):
        digits = _text(alternative).split("@")[0].split(":")[0]
        if digits:
            return digits
    return (provider.phone_of_lid(sender) if provider is not None else None) or sender.split("@")[0]


def _waha_kind(payload: dict) -> str:
    if not payload.get("hasMedia"):
        return "text"
    media = payload.get("media") if isinstance(payload.get("media"), dict) else {}
    return WAHA_MEDIA.get(_text(media.get("mimetype")).split("/")[0], "document")


def _waha_name(payload: dict) -> str | None:
    data = payload.get("_data") if isinstance(payload.get("_data"), dict) else {}
    info = data.get("Info") if isinstance(data.get("Info"), dict) else {}
    return _text(data.get("notifyName") or data.get("pushName") or info.get("PushName")) or None


def handle_waha(envelope: dict, provider=None) -> None:
    """One WAHA webhook event: `message` (a customer wrote) or `message.ack` (our message moved on)."""
    from app.whatsapp.waha import message_key

    event = _text(envelope.get("event"))
    payload = envelope.get("payload") if isinstance(envelope.get("payload"), dict) else {}
    if event == "message" and not payload.get("fromMe"):
        sender = _waha_sender(payload, provider)
        if _text(payload.get("from")).endswith(("@g.us", "@newsletter", "@broadcast")):
            return  # a group or a channel, not a customer
        handle_reply("waha", sender, _text(payload.get("body")), kind=_waha_kind(payload),
                     message_id=_text(payload.get("id")) or _text(envelope.get("id")) or None,
                     sender_name=_waha_name(payload), at=_when(payload.get("timestamp")))
    elif event == "message.ack" and payload.get("fromMe", True):
        try:
            level = int(payload.get("ack"))
        except (TypeError, ValueError, OverflowError):
            return
        status = WAHA_ACKS.get(level)
        key = message_key(_text(payload.get("id")))
        if status and key:
            apply_status(key, status, error_code="waha" if status == Message.FAILED else None,
                         error_text=_text(payload.get("ackName")) or None if status == Message.FAILED else None)
    elif event:
        logger.info("waha webhook: %s event ignored", event)
