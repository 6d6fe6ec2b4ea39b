"""WAHA (WhatsApp HTTP API): a self-hosted gateway driving the workshop's own WhatsApp number.

Wire formats (docs/waha.md, checked against WAHA's source): `POST {base}/api/sendText` with
`X-Api-Key`, JSON `{"session", "chatId": "62…@c.us", "text"}`, answered 201 with the engine's own
message object; 401 for a wrong key; 422 `{"error": "Session status is not as expected…",
"status": …}` when the phone is not connected; 500 for what WhatsApp refused. WAHA itself never
answers 429, but a proxy in front of it may.
"""
from dataclasses import dataclass

import requests
from flask_babel import gettext as _

from app.whatsapp.base import NotReady, OutgoingMessage, Provider, SendResult

WORKING = "WORKING"
# WhatsApp refused the account ("restricted from messaging new contacts"): sending on harms the number.
RESTRICTED = ("463", "restricted", "account_restricted")


@dataclass
class SessionState:
    """What WAHA says about the workshop's phone: `status` (WORKING, SCAN_QR_CODE, …) or why it could not be asked."""

    status: str | None
    phone: str | None = None  # the connected number's digits (62…)
    error: str | None = None
    unreachable: bool = False  # no answer at all (WAHA restarting, the network)

    @property
    def working(self) -> bool:
        return self.status == WORKING


def message_key(serialized: str | None) -> str | None:
    """The engine's own id in WAHA's `{fromMe}_{chat}_{id}[_{participant}]`: the same in a send's answer
    and in its acks, whichever way the chat is written (`@c.us`, `@s.whatsapp.net`, `@lid`)."""
    if not serialized:
        return None
    parts = str(serialized).split("_")
    return parts[2] if len(parts) >= 3 and parts[0] in ("true", "false") else str(serialized)


def _sent_id(body) -> str | None:
    """The id in a sendText answer: a string (GOWS), an object with _serialized (WEBJS), or a Baileys key (NOWEB)."""
    if not isinstance(body, dict):
        return None
    value = body.get("id")
    if isinstance(value, dict):
        return message_key(value.get("_serialized")) or value.get("id")
    if isinstance(value, str):
        return message_key(value)
    key = body.get("key")
    if isinstance(key, dict) and key.get("id"):
        return str(key["id"])
    return None


class WahaProvider(Provider):
    name = "waha"
    reports_delivery = True
    personal_number = True

    @property
    def problem(self):
        if not self.config.get("WAHA_BASE_URL"):
            return _("WAHA belum diatur: isi WAHA_BASE_URL (dan WAHA_API_KEY) di pengaturan server")
        return self._problem

    @property
    def session(self) -> str:
        return self.config.get("WAHA_SESSION") or "default"

    def _url(self, path: str) -> str:
        return self.config["WAHA_BASE_URL"].rstrip("/") + path

    def _headers(self) -> dict:
        key = self.config.get("WAHA_API_KEY")
        return {"X-Api-Key": key} if key else {}

    def send(self, message: OutgoingMessage) -> SendResult:
        return self.send_text(message.to, message.text)

    def send_text(self, to: str, text: str) -> SendResult:
        payload = {"session": self.session, "chatId": f"{to}@c.us", "text": text, "linkPreview": False}
        response, failure = self.post(self._url("/api/sendText"), json=payload, headers=self._headers())
        if failure:
            return failure
        body = self.answer_of(response)
        if response.status_code in (200, 201):
            # WEBJS has answered 201 with an empty body: sent, but its acks cannot be matched.
            return SendResult(ok=True, provider_message_id=_sent_id(body))
        return self._failure(response, body)

    def _failure(self, response, body: dict) -> SendResult:
        status = response.status_code
        text = str(body.get("error") or body.get("message") or (body.get("exception") or {}).get("message")
                   or response.reason or "error")[:300]
        if status == 401:
            return SendResult(ok=False, error_code="401", fatal=True,
                              error_message=_("Kunci API WAHA ditolak: periksa WAHA_API_KEY."))
        if status == 422:
            session_status = body.get("status")
            if session_status == "STARTING":
                return SendResult(ok=False, error_code="422", error_message=text, retryable=True, retry_after=15)
            return SendResult(ok=False, error_code="422", fatal=True, error_message=_disconnected_text(session_status))
        if status == 429:
            retry_after = response.headers.get("Retry-After", "")
            return SendResult(ok=False, error_code="429", error_message=text, retryable=True,
                              retry_after=float(retry_after) if retry_after.isdigit() else None)
        if status >= 500:
            if any(word in text.lower() for word in RESTRICTED):
                return SendResult(ok=False, error_code=str(status), fatal=True, error_message=_(
                    "WhatsApp membatasi nomor bengkel (%(error)s). Pengiriman dihentikan supaya nomor tidak diblokir; "
                    "coba lagi besok.", error=text))
            return SendResult(ok=False, error_code=str(status), error_message=text, retryable=True)
        return SendResult(ok=False, error_code=str(status), error_message=text)

    def ready_problem(self) -> NotReady | None:
        """Before a batch: the phone must be connected, or the batch stops at once with what to do. WAHA
        not answering or a session still starting may pass by itself: the batch then tries again soon."""
        state = self.session_state()
        problem = session_problem(state)
        if problem is None:
            return None
        return NotReady(problem, transient=state.unreachable or state.status == "STARTING")

    def session_state(self) -> SessionState:
        """Ask WAHA whether the workshop's phone is connected (`GET /api/sessions/{session}`)."""
        try:
            response = self.http.get(self._url(f"/api/sessions/{self.session}"), headers=self._headers(),
                                     timeout=(3.05, 5))
        except requests.RequestException as exc:
            return SessionState(None, unreachable=True, error=_("WAHA tidak bisa dihubungi di %(url)s (%(error)s).",
                                                                url=self.config["WAHA_BASE_URL"], error=str(exc)[:120]))
        if response.status_code == 401:
            return SessionState(None, error=_("Kunci API WAHA ditolak: periksa WAHA_API_KEY."))
        if response.status_code == 404:
            return SessionState(None, error=_("Sesi %(session)s tidak ada di WAHA: buat sesinya di dashboard WAHA.",
                                              session=self.session))
        body = self.answer_of(response)
        if not response.ok or not body:
            return SessionState(None, unreachable=response.status_code >= 500,
                                error=_("WAHA menjawab %(status)d.", status=response.status_code))
        me = body.get("me") if isinstance(body.get("me"), dict) else {}
        phone = str(me.get("id") or "").split("@")[0] or None
        return SessionState(str(body.get("status") or ""), phone=phone)

    def phone_of_lid(self, lid: str) -> str | None:
        """The phone number behind a hidden `…@lid` sender, when WAHA knows it (`GET /api/{session}/lids/{lid}`)."""
        try:
            response = self.http.get(self._url(f"/api/{self.session}/lids/{lid.split('@')[0]}"),
                                     headers=self._headers(), timeout=(3.05, 5))
        except requests.RequestException:
            return None
        pn = self.answer_of(response).get("pn") if response.ok else None
        return str(pn).split("@")[0] if pn else None


def _disconnected_text(status) -> str:
    """Why WAHA cannot send, in words the manager can act on."""
    if status == "SCAN_QR_CODE":
        return _("Ponsel bengkel tidak terhubung ke WAHA: buka dashboard WAHA dan pindai kode QR dengan WhatsApp "
                 "di ponsel bengkel, lalu lanjutkan pengiriman.")
    return _("Sesi WhatsApp di WAHA tidak berjalan (status %(status)s): mulai ulang sesinya di dashboard WAHA "
             "(pindai kode QR bila diminta), lalu lanjutkan pengiriman.", status=status or "-")


def session_problem(state: SessionState) -> str | None:
    """What the settings page and a batch say when the phone is not ready, or None."""
    if state.error:
        return state.error
    if state.working:
        return None
    if state.status == "STARTING":
        return _("Sesi WAHA sedang dimulai; tunggu sebentar.")
    return _disconnected_text(state.status)
