"""Fonnte: an Indonesian gateway driving the workshop's own WhatsApp number (keep it slow)."""
from flask_babel import gettext as _

from app.whatsapp.base import OutgoingMessage, Provider, SendResult

STOP_BATCH_REASONS = ("token invalid", "insufficient quota", "disconnect", "device")


def _lower_keys(body: dict) -> dict:
    # Fonnte has answered with "Status" as well as "status".
    return {str(key).lower(): value for key, value in body.items()} if isinstance(body, dict) else {}


class FonnteProvider(Provider):
    name = "fonnte"
    reports_delivery = True
    personal_number = True

    @property
    def problem(self):
        if not self.config.get("FONNTE_TOKEN"):
            return _("Fonnte belum diatur: isi FONNTE_TOKEN di pengaturan server")
        return self._problem

    def send(self, message: OutgoingMessage) -> SendResult:
        url = self.config["FONNTE_BASE_URL"].rstrip("/") + "/send"
        data = {"target": message.to, "message": message.text, "countryCode": "62"}
        response, failure = self.post(url, data=data, headers={"Authorization": self.config["FONNTE_TOKEN"]})
        if failure:
            return failure
        body = _lower_keys(self.answer_of(response))
        if response.status_code >= 500 or response.status_code == 429:
            return SendResult(ok=False, error_code=str(response.status_code), error_message=response.reason,
                              retryable=True)
        if body.get("status") is True:
            ids = body.get("id") or []
            return SendResult(ok=True, provider_message_id=str(ids[0]) if ids else None)
        reason = str(body.get("reason") or body.get("detail") or "unknown error")
        fatal = any(word in reason.lower() for word in STOP_BATCH_REASONS)
        return SendResult(ok=False, error_code="fonnte", error_message=reason, fatal=fatal)
