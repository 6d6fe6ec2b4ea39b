"""Meta's WhatsApp Business Cloud API: approved template messages, errors classified by code."""
from flask_babel import gettext as _

from app.whatsapp.base import OutgoingMessage, Provider, SendResult

# WHATSAPP.md's table: classify by error.code, not by HTTP status.
RATE_LIMITED = {130429, 80007, 4, 131056}
TEMPORARY = {1, 2, 131000, 131016, 131057}
OPTED_OUT = {131050}  # the recipient stopped marketing messages (also reported by status webhooks)
UNDELIVERABLE = {131026}  # the number is not on WhatsApp: permanent until the number is changed
OUTSIDE_WINDOW = {131047}  # free text more than 24 hours after the customer last wrote
STOP_BATCH = {132015, 132016, 0, 10, 190, 131048, 368, 131031, 131042} | set(range(200, 300))
# Everything else (131047, bad parameters, missing template) is permanent for this message.


def _code(code) -> int | None:
    try:
        return int(code)
    except (TypeError, ValueError):
        return None


def means_opted_out(code) -> bool:
    """Whether an error code (a send's answer or a failed status webhook) says the customer opted out."""
    return _code(code) in OPTED_OUT


def means_outside_window(code) -> bool:
    """Whether a free-text answer was refused because the customer last wrote more than 24 hours ago."""
    return _code(code) in OUTSIDE_WINDOW


def means_undeliverable(code) -> bool:
    """Whether a stored error code says the number cannot receive WhatsApp."""
    return _code(code) in UNDELIVERABLE


def classify_error(code: int | None, message: str, http_status: int) -> SendResult:
    text = f"({code}) {message}" if code is not None else message
    if code in RATE_LIMITED:
        return SendResult(ok=False, error_code=str(code), error_message=text, retryable=True)
    if code in TEMPORARY or (code is None and http_status >= 500):
        return SendResult(ok=False, error_code=str(code or http_status), error_message=text, retryable=True)
    if code in STOP_BATCH:
        return SendResult(ok=False, error_code=str(code), error_message=text, fatal=True)
    if means_opted_out(code):
        return SendResult(ok=False, error_code=str(code), error_message=text, opted_out=True)
    if code is None and http_status >= 400:
        return SendResult(ok=False, error_code=str(http_status), error_message=text, retryable=http_status == 429)
    return SendResult(ok=False, error_code=str(code), error_message=text)


class CloudApiProvider(Provider):
    name = "cloud_api"
    reports_delivery = True
    default_rate = 20.0  # well under the 80/s a phone number gets by default

    @property
    def problem(self):
        missing = [name for name in ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID") if not self.config.get(name)]
        if missing:
            return _("Cloud API belum diatur: isi %(names)s di pengaturan server", names=" dan ".join(missing))
        return self._problem

    def _url(self):
        base = self.config["WHATSAPP_API_BASE_URL"].rstrip("/")
        return f"{base}/{self.config['WHATSAPP_API_VERSION']}/{self.config['WHATSAPP_PHONE_NUMBER_ID']}/messages"

    def _payload(self, message: OutgoingMessage) -> dict:
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "+" + message.to,
            "type": "template",
            "template": {
                "name": self.config["WHATSAPP_TEMPLATE_NAME"],
                "language": {"code": self.config["WHATSAPP_TEMPLATE_LANG"]},
                "components": [{
                    "type": "body",
                    "parameters": [{"type": "text", "text": value} for value in message.template_params],
                }],
            },
        }

    def send(self, message: OutgoingMessage) -> SendResult:
        return self._post_message(self._payload(message))

    def send_text(self, to: str, text: str) -> SendResult:
        """Free text, which Meta delivers only inside the 24 hours after the customer last wrote."""
        return self._post_message({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+" + to,
                                   "type": "text", "text": {"preview_url": False, "body": text}})

    def _post_message(self, payload: dict) -> SendResult:
        headers = {"Authorization": f"Bearer {self.config['WHATSAPP_ACCESS_TOKEN']}"}
        response, failure = self.post(self._url(), json=payload, headers=headers)
        if failure:
            return failure
        body = self.answer_of(response)
        if response.ok and body.get("messages"):
            return SendResult(ok=True, provider_message_id=body["messages"][0].get("id"))
        error = body.get("error") or {}
        result = classify_error(error.get("code"), error.get("message") or response.reason or "error",
                                response.status_code)
        if result.retryable and response.headers.get("Retry-After", "").isdigit():
            result.retry_after = float(response.headers["Retry-After"])
        return result
