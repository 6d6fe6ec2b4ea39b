"""Records the message and sends nothing: for trying the system out."""
import logging
import uuid

from app.whatsapp.base import OutgoingMessage, Provider, SendResult

logger = logging.getLogger(__name__)


class LogProvider(Provider):
    name = "log"
    default_rate = 50.0

    def send(self, message: OutgoingMessage) -> SendResult:
        logger.info("whatsapp log provider: to=%s text=%r", message.to, message.text)
        return SendResult(ok=True, provider_message_id=f"log-{uuid.uuid4().hex}")
