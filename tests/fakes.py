"""Fakes of the WhatsApp providers: real HTTP servers on 127.0.0.1 speaking WHATSAPP.md's formats.

They answer like the real services (success bodies, error bodies, status codes), can be told to
fail for a given recipient (rate limits, server errors, timeouts, undeliverable, expired token),
and record every request, so tests assert what a provider would really have received.
"""
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections import Counter, defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests


class FakeServer:
    def __init__(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.respond(*fake.answer_get(self.path, dict(self.headers)))

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                self.respond(*fake.handle(self.path, dict(self.headers), body))

            def respond(self, status, payload, headers):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

            def log_message(self, *args):
                pass

        self.lock = threading.Lock()
        self.requests = []  # every request, as received
        self.accepted = Counter()  # recipient -> messages accepted (answered with success)
        self.latency = 0.0
        self.scripts = defaultdict(deque)  # recipient -> answers to give before the default
        self.in_flight = 0
        self.max_in_flight = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def answer_get(self, path, headers):
        return 404, {"message": "Cannot GET " + path, "statusCode": 404}, None

    def script(self, recipient, *answers):
        """The next answers for this recipient: "ok", ("error", code, http_status), ("timeout", s)."""
        self.scripts[recipient].extend(answers)

    def handle(self, path, headers, body):
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            return self.answer(path, headers, body)
        finally:
            with self.lock:
                self.in_flight -= 1

    def next_answer(self, recipient):
        """The scripted answer. ("timeout", s) accepts the message at once and answers "ok" s seconds
        later, like a slow provider: the customer receives it even when the client gave up waiting."""
        with self.lock:
            queue = self.scripts.get(recipient)
            answer = queue.popleft() if queue else "ok"
        if isinstance(answer, tuple) and answer[0] == "timeout":
            with self.lock:
                self.accepted[recipient.lstrip("+")] += 1
            time.sleep(answer[1])
            return "accepted"
        return answer


class FakeCloudApi(FakeServer):
    """POST /{version}/{phone_number_id}/messages with a Bearer token, answering as Meta does."""

    def __init__(self, token="test-token", phone_number_id="1234567890", version="v21.0"):
        super().__init__()
        self.token, self.phone_number_id, self.version = token, phone_number_id, version
        self.ids = itertools.count(1)

    def answer(self, path, headers, body):
        payload = json.loads(body or b"{}")
        with self.lock:
            self.requests.append({"path": path, "headers": headers, "json": payload})
        if path != f"/{self.version}/{self.phone_number_id}/messages":
            return 404, {"error": {"message": "Unknown path", "code": 100, "type": "OAuthException"}}, None
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, self.error(190, "Error validating access token: Session has expired"), None
        to = payload.get("to", "")
        answer = self.next_answer(to)
        if answer in ("ok", "accepted"):
            with self.lock:
                if answer == "ok":
                    self.accepted[to.lstrip("+")] += 1
                message_id = f"wamid.FAKE{next(self.ids):06d}"
            return 200, {"messaging_product": "whatsapp",
                         "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                         "messages": [{"id": message_id}]}, None
        _, code, status = answer
        extra = {"Retry-After": "1"} if status == 429 else None
        return status, self.error(code, "error injected by the test"), extra

    @staticmethod
    def error(code, message):
        return {"error": {"message": f"({code}) {message}", "type": "OAuthException", "code": code,
                          "error_data": {"messaging_product": "whatsapp", "details": message},
                          "fbtrace_id": "AbCdEf"}}


class FakeFonnte(FakeServer):
    """POST /send with `Authorization: <token>` and form fields, answering as Fonnte does."""

    def __init__(self, token="fonnte-token"):
        super().__init__()
        self.token = token
        self.ids = itertools.count(80367170)
        self.times = []

    def answer(self, path, headers, body):
        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        with self.lock:
            self.requests.append({"path": urlsplit(path).path, "headers": headers, "form": form})
            self.times.append(time.monotonic())
        if headers.get("Authorization") != self.token:
            return 200, {"reason": "token invalid", "status": False, "requestid": 2937125}, None
        answer = self.next_answer(form.get("target", ""))
        if answer in ("ok", "accepted"):
            with self.lock:
                if answer == "ok":
                    self.accepted[form["target"]] += 1
                message_id = str(next(self.ids))
            return 200, {"detail": "success! message in queue", "id": [message_id], "process": "pending",
                         "requestid": 2937124, "Status": True, "target": [form["target"]]}, None
        _, reason, status = answer
        return status, {"reason": reason, "status": False, "requestid": 2937126}, None


class FakeWaha(FakeServer):
    """WAHA (docs/waha.md): POST /api/sendText with X-Api-Key, GET /api/sessions/{session} and the lids API.

    Answers as WAHA 2025.10 with the default WEBJS engine: 201 with the message object (its id an
    object with `_serialized`); 401 for a wrong key; 422 with the session's status while the phone is
    not connected (`self.status`); scripted 500s (WhatsApp's refusals) and 429s (a proxy in front).
    """

    def __init__(self, api_key="waha-key", session="default"):
        super().__init__()
        self.api_key, self.session = api_key, session
        self.status = "WORKING"
        self.me = "6281100000000"
        self.lids = {}  # "123@lid" -> "62…@c.us"
        self.sent_at = 1764036000  # the send answer's timestamp (the app does not read it): fixed, no wall clock
        self.ids = itertools.count(1)

    def _authorised(self, headers):
        return headers.get("X-Api-Key") == self.api_key

    def answer_get(self, path, headers):
        if not self._authorised(headers):
            return 401, {"message": "Unauthorized", "statusCode": 401}, None
        path = urlsplit(path).path
        if path == f"/api/sessions/{self.session}":
            me = {"id": f"{self.me}@c.us", "pushName": "Bengkel"} if self.status == "WORKING" else None
            return 200, {"name": self.session, "status": self.status, "config": {"webhooks": []}, "me": me,
                         "engine": {"engine": "WEBJS"}}, None
        if path.startswith(f"/api/{self.session}/lids/"):
            lid = path.rsplit("/", 1)[1].split("%40")[0].split("@")[0] + "@lid"
            return 200, {"lid": lid, "pn": self.lids.get(lid)}, None
        return 404, {"message": "Session not found", "error": "Not Found", "statusCode": 404}, None

    def answer(self, path, headers, body):
        payload = json.loads(body or b"{}")
        with self.lock:
            self.requests.append({"path": path, "headers": headers, "json": payload})
        if not self._authorised(headers):
            return 401, {"message": "Unauthorized", "statusCode": 401}, None
        if path != "/api/sendText":
            return 404, {"message": f"Cannot POST {path}", "error": "Not Found", "statusCode": 404}, None
        if payload.get("session") != self.session:
            return 422, {"error": f'Session "{payload.get("session")}" does not exist',
                         "session": payload.get("session")}, None
        if self.status != "WORKING":
            return 422, {"error": "Session status is not as expected. Try again later or restart the session",
                         "session": self.session, "status": self.status, "expected": ["WORKING"]}, None
        chat = payload.get("chatId", "")
        answer = self.next_answer(chat.removesuffix("@c.us"))
        if answer in ("ok", "accepted"):
            with self.lock:
                if answer == "ok":
                    self.accepted[chat.removesuffix("@c.us")] += 1
                key = f"3EB0{next(self.ids):018X}"
            serialized = f"true_{chat}_{key}"
            ids = {"fromMe": True, "remote": chat, "id": key, "_serialized": serialized}
            return 201, {"_data": {"id": ids, "body": payload.get("text"), "type": "chat", "ack": 0},
                         "id": ids, "ack": 0, "hasMedia": False, "body": payload.get("text"), "type": "chat",
                         "timestamp": self.sent_at, "from": f"{self.me}@c.us", "to": chat, "fromMe": True}, None
        _, code, status = answer
        if status == 429:
            return 429, {"message": "Too Many Requests", "statusCode": 429}, {"Retry-After": "1"}
        return status, {"statusCode": status, "timestamp": "2026-11-25T03:00:00.000Z",
                        "exception": {"message": f"2 UNKNOWN: server returned error {code}", "name": "Error"},
                        "request": {"path": path, "method": "POST"}, "version": {"engine": "WEBJS", "tier": "CORE"}}, None


def waha_event(event: str, payload: dict, *, session: str = "default", timestamp_ms: int) -> dict:
    """A WAHA webhook envelope (docs/waha.md): id, timestamp in ms, event, session, me, payload, engine."""
    return {"id": f"evt_{timestamp_ms:026d}", "timestamp": timestamp_ms, "event": event, "session": session,
            "metadata": {}, "me": {"id": "6281100000000@c.us", "pushName": "Bengkel"}, "payload": payload,
            "engine": "WEBJS", "environment": {"version": "2025.10.4", "engine": "WEBJS", "tier": "CORE", "browser": None}}


def waha_message(sender: str, message_id: str, text: str, *, timestamp: int, name: str = "Pelanggan", **extra) -> dict:
    """The `message` payload of a customer's message (WEBJS: `from` is the sender)."""
    return {"id": f"false_{sender}_{message_id}", "timestamp": timestamp, "from": sender, "fromMe": False,
            "source": "app", "to": "6281100000000@c.us", "body": text, "hasMedia": False, "media": None, "ack": 1,
            "ackName": "SERVER", "replyTo": None, "_data": {"notifyName": name}, **extra}


def waha_ack(serialized_id: str, ack: int) -> dict:
    names = {-1: "ERROR", 0: "PENDING", 1: "SERVER", 2: "DEVICE", 3: "READ", 4: "PLAYED"}
    chat = serialized_id.split("_")[1]
    return {"id": serialized_id, "from": chat, "to": chat, "participant": None, "fromMe": True, "ack": ack,
            "ackName": names[ack]}


def waha_body(envelope: dict) -> bytes:
    """The body as WAHA writes it (JSON.stringify: compact, UTF-8)."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def waha_signature(body: bytes, key: str) -> str:
    return hmac.new(key.encode(), body, hashlib.sha512).hexdigest()


def deliver_waha(url: str, envelope: dict, key: str):
    """POST a webhook as WAHA's WebhookSender does: compact JSON, X-Webhook-Hmac (SHA-512 hex) and its headers."""
    body = waha_body(envelope)
    return requests.post(url, data=body, timeout=10, headers={
        "content-type": "application/json", "X-Webhook-Request-Id": "01JYEWPAVW2NS6GC9J48TA562T",
        "X-Webhook-Timestamp": str(envelope["timestamp"]), "X-Webhook-Hmac": waha_signature(body, key),
        "X-Webhook-Hmac-Algorithm": "sha512", "User-Agent": "WAHA/2025.10.4"})


# --- what the providers send us (webhooks) ---------------------------------------------------------

def meta_reply(sender: str, message_id: str, text: str | None = None, *, timestamp: int, kind: str = "text",
               name: str | None = None, **part) -> dict:
    """A Cloud API webhook with one incoming message, in WHATSAPP.md's shape (`value.messages[]`).

    `timestamp` (Unix seconds) comes from the app's clock in the tests, never the machine's."""
    message = {"from": sender, "id": message_id, "timestamp": str(timestamp), "type": kind}
    message[kind] = {"body": text} if kind == "text" else part
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "1234567890"},
             "contacts": [{"profile": {"name": name or "Pelanggan"}, "wa_id": sender}], "messages": [message]}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]}


def meta_signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver_meta(url: str, payload: dict, secret: str):
    """POST a webhook to the app as Meta's servers do: the raw JSON body, signed with the app secret."""
    body = json.dumps(payload).encode()
    return requests.post(url, data=body, timeout=10, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(body, secret)})


def fonnte_reply(sender: str, text: str, *, name: str = "Pelanggan", device: str = "6281100000000", **extra) -> dict:
    """Fonnte's incoming-message callback (WHATSAPP.md): device, sender, message, name."""
    return {"device": device, "sender": sender, "message": text, "name": name, **extra}


def deliver_fonnte(url: str, payload: dict, secret: str):
    return requests.post(url, params={"secret": secret}, json=payload, timeout=10)
