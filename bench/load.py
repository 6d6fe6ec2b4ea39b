"""`make load`: 20 front-desk clients for 60 seconds on the list, row toggles and per-row sends.

The app runs under gunicorn exactly as the README serves it in production, on PostgreSQL when
TEST_DATABASE_URL is set (that database is emptied) and on SQLite otherwise, sending through the
fake Cloud API (a real HTTP server on 127.0.0.1 answering in --provider-latency seconds). This
process plays the clients: each logs in, then loops over the list (pages, searches, filters),
"Aktifkan/Nonaktifkan" on a small set of customers everybody fights over, and "Kirim pengingat"
on random customers, as htmx sends them.

Afterwards every action is accounted for in the database:
- no answer was a 5xx or a broken connection;
- every toggle counted: each customer's final state is its first state flipped once per toggle the
  clients were told succeeded, and the audit trail holds exactly that many toggle entries;
- every send counted: one message per send the clients were told went out or failed, none for
  the ones refused (the one-minute lock), the fake provider received exactly the sent ones, and
  no customer got two messages.
Prints the latencies per action and exits 1 if any check fails.
"""
import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import generate, reset_database  # noqa: E402
from bench.run import gunicorn, logged_in_session  # noqa: E402

PRODUCTION_THREADS = 4  # the README's `gunicorn --workers 2 --threads 4`

HTMX = {"HX-Request": "true"}
LIST_PATHS = ["/customers/", "/customers/?q=B%201", "/customers/?q=0812", "/customers/?filter=active",
              "/customers/?filter=due&days=7", "/customers/?filter=overdue", "/customers/?page=20",
              "/customers/?sort=name"]
SENT, FAILED, REFUSED = "sent", "failed", "refused"


def send_outcome(html: str) -> str:
    """What the row said after "Kirim pengingat" (app/customers/routes.py: remind)."""
    if "Pengingat terkirim" in html:
        return SENT
    if "Gagal mengirim" in html:
        return FAILED
    return REFUSED


class Client(threading.Thread):
    """One person at the counter, repeating list / toggle / send until the time is up."""

    def __init__(self, base, stop_at, hot_ids, send_ids, seed):
        super().__init__(daemon=True)
        self.base, self.stop_at, self.hot_ids, self.send_ids = base, stop_at, hot_ids, send_ids
        self.rng = random.Random(seed)
        self.latencies = defaultdict(list)
        self.statuses = Counter()
        self.errors = []
        self.toggles = Counter()  # customer id -> toggles answered 200
        self.sends = []  # (customer id, outcome)

    def request(self, kind, method, path, **kwargs):
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base + path, timeout=60, **kwargs)
        except requests.RequestException as exc:
            self.errors.append(f"{kind} {path}: {exc.__class__.__name__}")
            return None
        self.latencies[kind].append((time.perf_counter() - started) * 1000)
        self.statuses[(kind, response.status_code)] += 1
        return response

    def run(self):
        self.session = logged_in_session(self.base)
        while time.monotonic() < self.stop_at:
            roll = self.rng.random()
            if roll < 0.5:
                self.request("list", "GET", self.rng.choice(LIST_PATHS))
            elif roll < 0.8:
                customer_id = self.rng.choice(self.hot_ids)
                response = self.request("toggle", "POST", f"/customers/{customer_id}/toggle", headers=HTMX)
                if response is not None and response.status_code == 200:
                    self.toggles[customer_id] += 1
            else:
                customer_id = self.rng.choice(self.send_ids)
                response = self.request("send", "POST", f"/customers/{customer_id}/remind", headers=HTMX)
                if response is not None and response.status_code == 200:
                    self.sends.append((customer_id, send_outcome(response.text)))


def sendable_and_hot(url, hot_count):
    """Ids of customers to fight over (toggles) and of active, subscribed ones (sends), with states."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT id, is_active, opted_out FROM manual_whatsapp ORDER BY id")).all()
    engine.dispose()
    rng = random.Random(3)
    ids = [_uuid_text(row.id) for row in rows]
    states = {customer_id: bool(row.is_active) for customer_id, row in zip(ids, rows, strict=True)}
    hot = set(rng.sample(ids, hot_count))
    sendable = [customer_id for customer_id, row in zip(ids, rows, strict=True)
                if customer_id not in hot and row.is_active and not row.opted_out]
    return sorted(hot), sendable, states


def _uuid_text(value) -> str:
    import uuid

    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def account(url, clients, first_states, fake) -> dict:
    """Compare what the clients were told with what the database and the provider hold."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        states = {_uuid_text(row.id): bool(row.is_active)
                  for row in connection.execute(sa.text("SELECT id, is_active FROM manual_whatsapp"))}
        audit_toggles = Counter(_uuid_text(row.customer_id) for row in connection.execute(sa.text(
            "SELECT customer_id FROM audit_event WHERE action = 'customer.toggle'")))
        messages = connection.execute(sa.text(
            "SELECT customer_id, status, provider_message_id FROM reminder_message")).all()
    engine.dispose()

    toggles = Counter()
    for client in clients:
        toggles.update({_uuid_text(key): value for key, value in client.toggles.items()})
    wrong_state = [customer_id for customer_id, count in toggles.items()
                   if states[customer_id] != (first_states[customer_id] ^ (count % 2 == 1))]
    wrong_trail = [customer_id for customer_id, count in toggles.items() if audit_toggles[customer_id] != count]

    told = Counter(outcome for client in clients for _, outcome in client.sends)
    told_by_customer = Counter(_uuid_text(customer_id) for client in clients
                               for customer_id, outcome in client.sends if outcome != REFUSED)
    stored = Counter(_uuid_text(row.customer_id) for row in messages)
    stored_sent = sum(1 for row in messages if row.status == "sent")
    return {
        "toggles_told_ok": sum(toggles.values()),
        "toggled_customers": len(toggles),
        "toggle_state_mismatches": len(wrong_state),
        "toggle_audit_mismatches": len(wrong_trail),
        "sends_told": dict(told),
        "messages_stored": len(messages),
        "messages_sent_status": stored_sent,
        "provider_accepted": sum(fake.accepted.values()),
        "send_mismatches": sum(1 for customer_id in set(stored) | set(told_by_customer)
                               if stored[customer_id] != told_by_customer[customer_id]),
        "customers_with_two_messages": sum(1 for count in stored.values() if count > 1),
        "duplicate_provider_ids": len(messages) - len({row.provider_message_id for row in messages}),
    }


def summarise(clients) -> dict:
    latencies = defaultdict(list)
    statuses = Counter()
    errors = []
    for client in clients:
        for kind, values in client.latencies.items():
            latencies[kind].extend(values)
        statuses.update(client.statuses)
        errors.extend(client.errors)

    def stats(values):
        ordered = sorted(values)
        pick = lambda share: ordered[min(len(ordered) - 1, int(len(ordered) * share))]  # noqa: E731
        return {"count": len(ordered), "median_ms": statistics.median(ordered), "p95_ms": pick(0.95),
                "p99_ms": pick(0.99), "max_ms": ordered[-1]}

    return {"latency": {kind: stats(values) for kind, values in latencies.items() if values},
            "statuses": {f"{kind} {code}": count for (kind, code), count in sorted(statuses.items())},
            "server_errors": sum(count for (_, code), count in statuses.items() if code >= 500),
            "connection_errors": errors}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--hot", type=int, default=50, help="customers every client toggles")
    parser.add_argument("--provider-latency", type=float, default=0.1)
    args = parser.parse_args()

    from tests.fakes import FakeCloudApi

    url = os.environ.get("TEST_DATABASE_URL")
    scratch = None
    if not url:
        import tempfile

        scratch = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(scratch.name) / 'load.db'}"
    database = url.split(":", 1)[0].split("+")[0]
    reset_database(url)
    generate(url, args.customers, 0)
    hot, sendable, first_states = sendable_and_hot(url, args.hot)

    fake = FakeCloudApi()
    fake.latency = args.provider_latency
    provider = {"WHATSAPP_PROVIDER": "cloud_api", "WHATSAPP_API_BASE_URL": fake.url,
                "WHATSAPP_ACCESS_TOKEN": fake.token, "WHATSAPP_PHONE_NUMBER_ID": fake.phone_number_id,
                "WHATSAPP_API_VERSION": fake.version}
    try:
        with gunicorn(url, threads=PRODUCTION_THREADS, extra_env=provider) as (base, _server):
            stop_at = time.monotonic() + args.seconds
            clients = [Client(base, stop_at, hot, sendable, seed) for seed in range(args.clients)]
            started = time.monotonic()
            for client in clients:
                client.start()
            for client in clients:
                client.join()
            elapsed = time.monotonic() - started
    finally:
        fake.close()
    results = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count(),
               "database": database, "clients": args.clients, "seconds": elapsed,
               "customers": args.customers, "provider_latency_s": args.provider_latency,
               **summarise(clients), "accounting": account(url, clients, first_states, fake)}
    results["requests_per_second"] = sum(value["count"] for value in results["latency"].values()) / elapsed
    if scratch:
        scratch.cleanup()

    acc = results["accounting"]
    failures = [name for name, bad in (
        ("5xx answers", results["server_errors"]), ("broken connections", len(results["connection_errors"])),
        ("toggle lost", acc["toggle_state_mismatches"]), ("toggle missing from the audit trail", acc["toggle_audit_mismatches"]),
        ("send not accounted for", acc["send_mismatches"]), ("customer messaged twice", acc["customers_with_two_messages"]),
        ("provider count differs", acc["provider_accepted"] != acc["messages_sent_status"]),
    ) if bad]

    print(f"\n{args.clients} clients, {elapsed:.0f} s, {database}, gunicorn as in the README, "
          f"fake provider {args.provider_latency * 1000:.0f} ms; {results['requests_per_second']:.0f} req/s")
    print(f"{'action':<8} {'count':>7} {'median':>8} {'p95':>8} {'p99':>8} {'max':>8}  (ms)")
    for kind, value in results["latency"].items():
        print(f"{kind:<8} {value['count']:>7} {value['median_ms']:>8.1f} {value['p95_ms']:>8.1f} "
              f"{value['p99_ms']:>8.1f} {value['max_ms']:>8.1f}")
    print("answers:", ", ".join(f"{key}: {count}" for key, count in results["statuses"].items()))
    print(f"toggles: {acc['toggles_told_ok']} on {acc['toggled_customers']} customers; "
          f"final state wrong for {acc['toggle_state_mismatches']}, audit count wrong for {acc['toggle_audit_mismatches']}")
    print(f"sends: told {acc['sends_told']}; messages stored {acc['messages_stored']} "
          f"(sent {acc['messages_sent_status']}), provider accepted {acc['provider_accepted']}; "
          f"mismatches {acc['send_mismatches']}, customers messaged twice {acc['customers_with_two_messages']}")
    print("result:", "OK" if not failures else "FAILED: " + ", ".join(failures))
    (ROOT / "bench" / f"load-{database}.json").write_text(json.dumps(results, indent=2, default=str))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
