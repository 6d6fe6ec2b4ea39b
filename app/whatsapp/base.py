"""The interface every provider implements, and the result of one send."""
import threading
from dataclasses import dataclass, field

import requests
from urllib3.exceptions import NewConnectionError


@dataclass
class SendResult:
    """What happened to one message at the provider."""

    ok: bool
    provider_message_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    retryable: bool = False  # worth trying again later (rate limit, temporary fault)
    retry_after: float | None = None  # seconds the provider asked us to wait
    fatal: bool = False  # the whole batch must stop (authentication, template, account)
    opted_out: bool = False  # the recipient does not want these messages
    ambiguous: bool = False  # no answer: the provider may have accepted it (timeout)


@dataclass
class NotReady:
    """Why the provider cannot send now (asked before a batch), and whether it may pass by itself."""

    reason: str
    transient: bool = False  # a phone reconnecting, a gateway restarting: try again in a few minutes


@dataclass
class OutgoingMessage:
    to: str  # E.164 digits, 62…
    text: str  # the full reminder text
    template_params: list[str] = field(default_factory=list)  # for approved templates


class Provider:
    """One way of sending WhatsApp messages."""

    name = "base"
    interactive = False  # True: a person sends each message (wa.me links)
    reports_delivery = False  # True: the provider tells (by webhook) when a message was delivered and read
    default_rate = 10.0  # messages per second when WHATSAPP_RATE_PER_SECOND is unset
    # True: an ordinary WhatsApp account on the workshop's phone (WAHA, Fonnte), which WhatsApp bans
    # for machine-like sending: random pauses, a daily cap and the sending hours for every send.
    personal_number = False

    def __init__(self, config, problem: str | None = None):
        self.config = config
        self._problem = problem
        self._local = threading.local()
        self.timeout = (3.05, float(config.get("WHATSAPP_HTTP_TIMEOUT", 10)))

    @property
    def problem(self) -> str | None:
        """Why this provider cannot send (missing settings), or None when it can."""
        return self._problem

    @property
    def label(self) -> str:
        """The provider's name on screen."""
        from app.whatsapp import provider_label

        return provider_label(self.name)

    @property
    def rate(self) -> float:
        configured = self.config.get("WHATSAPP_RATE_PER_SECOND")
        return float(configured) if configured else self.default_rate

    @property
    def http(self) -> requests.Session:
        # One session per thread: connections are reused, sessions are not shared across threads.
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def ready_problem(self) -> NotReady | None:
        """Why a batch cannot start sending now, asked of the provider itself (a disconnected phone), or None."""
        return None

    def send(self, message: OutgoingMessage) -> SendResult:
        raise NotImplementedError

    def send_text(self, to: str, text: str) -> SendResult:
        """Free text to one number (an answer to a customer's reply), not the reminder template."""
        return self.send(OutgoingMessage(to, text))

    def post(self, url: str, **kwargs) -> tuple[requests.Response | None, SendResult | None]:
        """POST with the timeout; a network failure comes back as the result to record.

        A timeout while waiting for the answer, or a connection lost after the request went out, is
        ambiguous: the provider may have accepted the message. A connection that was never made
        (refused, unknown host, connect timeout) surely sent nothing.
        """
        try:
            return self.http.post(url, timeout=self.timeout, **kwargs), None
        except requests.ConnectTimeout as exc:
            return None, self._network_failure(exc)
        except requests.Timeout:
            return None, SendResult(ok=False, error_code="timeout", error_message=f"no answer from {self.name} in time",
                                    retryable=True, ambiguous=True)
        except requests.ConnectionError as exc:
            return None, self._network_failure(exc, ambiguous=not _never_connected(exc))
        except requests.RequestException as exc:
            return None, self._network_failure(exc)

    @staticmethod
    def answer_of(response: requests.Response) -> dict:
        """The provider's JSON answer as an object; {} when it is empty, not JSON or not an object."""
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    @staticmethod
    def _network_failure(exc, ambiguous=False) -> SendResult:
        return SendResult(ok=False, error_code="network", error_message=str(exc)[:300], retryable=True,
                          ambiguous=ambiguous)


def _never_connected(exc: requests.ConnectionError) -> bool:
    """The connection was refused or the host unknown: nothing reached the provider."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)
