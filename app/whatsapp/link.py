"""Click-to-chat (wa.me): needs no account; the person at the counter presses send in WhatsApp."""
from urllib.parse import quote

from app.whatsapp.base import OutgoingMessage, Provider, SendResult


def wa_link(phone: str, text: str) -> str:
    return f"https://wa.me/{phone}?text={quote(text, safe='')}"


class LinkProvider(Provider):
    name = "link"
    interactive = True
    default_rate = 1.0

    def send(self, message: OutgoingMessage) -> SendResult:
        # Opening the link is the send; what is recorded is that the person opened it.
        return SendResult(ok=True, provider_message_id=None)
