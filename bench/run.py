"""`make bench`: the app under gunicorn (2 workers), measured over HTTP from this second process.

Measures today:
- import: a 50,000-row .xlsx from upload to committed (upload, preview page, commit), the
  server's peak memory, and the ratio to `pandas.read_excel(engine="calamine")` on the same file.
- pages: with 100,000 customers and 1,000,000 messages, the customer list (first page, a search
  by plate fragment, by phone, each filter, page 1,000), the search-as-you-type fragment, the stats
  page and /manual-whatsapp/stats/summary (cold and cached): median and 95th percentile; and the
  list's requests per second with concurrent clients against /healthz's (the framework's ceiling).
- sending: 2,000 reminders as one batch through the fake Cloud API (a real HTTP server on
  127.0.0.1 answering in 100 ms) with a rate limit of 50 a second: messages per second, and the
  ratio to sending one at a time through the same adapter.

Runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set (that database is emptied).
Prints one table and writes bench/results.json with the machine's core count and the date.
"""
import argparse
import io
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.datagen import customers  # noqa: E402
from bench.generate import PASSWORD, USER, generate, reset_database  # noqa: E402
from bench.inprocess import percentiles  # noqa: E402

PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(url: str, workers: int = 2, threads: int = 1, extra_env: dict | None = None):
    """The app served by gunicorn on 127.0.0.1; yields (base URL, server process)."""
    port = free_port()
    # Warnings and errors only: a line per request would measure the terminal, not the app.
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "LOG_LEVEL": "WARNING", **(extra_env or {})}
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{port}",
         "--timeout", "120", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(base + "/healthz", timeout=5).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def worker_peak_rss_mb(master: subprocess.Popen) -> float:
    """The highest peak resident memory (VmHWM) among the gunicorn workers."""
    peaks = []
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
    return max(peaks)


def logged_in_session(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    session.post(base + "/login", data={"username": USER, "password": PASSWORD, "csrf_token": token}, timeout=10)
    session.headers["X-CSRFToken"] = token
    return session


# --- import ------------------------------------------------------------------------------------

def make_sheet(rows: int) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Pelanggan")
    sheet.append(["Nama Pelanggan", "No. Polisi", "No HP / WA", "Tgl Servis Terakhir", "Servis Berikutnya", "Keterangan"])
    for customer in customers(rows, seed=7):
        sheet.append([customer["customer_name"], customer["nopol"], customer["no_hp"], customer["last_service"],
                      customer["next_service"], customer["notes"]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def pandas_read_seconds(path: Path, repeat: int) -> float:
    """pandas.read_excel alone, in a fresh process each time (as the server reads it once)."""
    script = ("import sys, time, pandas as pd\nt = time.perf_counter()\n"
              "pd.read_excel(sys.argv[1], engine='calamine')\nprint(time.perf_counter() - t)")
    return statistics.median(
        float(subprocess.run([PYTHON, "-c", script, str(path)], capture_output=True, text=True, check=True).stdout)
        for _ in range(repeat)
    )


def bench_import(url: str, sheet_path: Path, rows: int, repeat: int) -> dict:
    timings, peaks, steps = [], [], []
    for _ in range(repeat):
        reset_database(url)
        with gunicorn(url) as (base, server):
            session = logged_in_session(base)
            started = time.perf_counter()
            with sheet_path.open("rb") as handle:
                response = session.post(base + "/import/", files={"file": (sheet_path.name, handle)}, timeout=120,
                                        allow_redirects=False)
            uploaded = time.perf_counter()
            preview_url = base + response.headers["Location"]
            # The rows are checked in the background: poll the progress as the page does, until it is over.
            while "HX-Refresh" not in session.get(preview_url + "/progress", headers={"HX-Request": "true"},
                                                  timeout=120).headers:
                time.sleep(0.05)
            checked = time.perf_counter()
            preview = session.get(preview_url, timeout=120)
            previewed = time.perf_counter()
            assert f"<strong>{rows}</strong> baru" in preview.text, "preview did not classify every row as new"
            result = session.post(preview_url + "/commit", data={"on_existing": "skip", "mode": "valid_only"},
                                  timeout=120)
            elapsed = time.perf_counter() - started
            steps.append({"upload": uploaded - started, "check": checked - uploaded, "preview": previewed - checked,
                          "commit": elapsed - (previewed - started)})
            assert f"<strong>{rows}</strong> pelanggan baru" in result.text, "commit did not create every row"
            timings.append(elapsed)
            peaks.append(worker_peak_rss_mb(server))
    return {"seconds": statistics.median(timings), "runs": timings, "peak_rss_mb": max(peaks),
            "steps": {name: statistics.median(step[name] for step in steps) for name in steps[0]}}


# --- pages at a chain's scale --------------------------------------------------------------

LIST_PAGES = {
    "list, first page": "/customers/",
    "search 1234 (fills a page)": "/customers/?q=1234",
    "search by plate fragment": "/customers/?q=B%20123",
    "search by phone": "/customers/?q=0812%2034",
    "filter active": "/customers/?filter=active",
    "filter inactive": "/customers/?filter=inactive",
    "filter due in 7 days": "/customers/?filter=due&days=7",
    "filter overdue": "/customers/?filter=overdue",
    "filter never reminded": "/customers/?filter=never",
    "sort by name": "/customers/?sort=name",
    "deep page (1,000)": "/customers/?page=1000",
}


def timed_gets(session, url, count, headers=None) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url, headers=headers, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def throughput(base: str, path: str, clients: int, seconds: float) -> float:
    """Requests per second that `clients` concurrent logged-in clients get from `path`."""
    import threading

    done, stop = [0] * clients, time.monotonic() + seconds

    def client(index):
        session = logged_in_session(base)
        while time.monotonic() < stop:
            session.get(base + path, timeout=30)
            done[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


COLD_SAMPLES = 7


def in_process(url: str, samples: int) -> dict:
    """bench/inprocess.py on `url`: the list's pages and the stats inside one process, with the SQL alone."""
    output = subprocess.run([PYTHON, str(ROOT / "bench" / "inprocess.py"), "--samples", str(samples)],
                            env={**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}, cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def bench_pages(url: str, customer_count: int, message_count: int, samples: int, pages: dict = LIST_PAGES,
                stats: bool = True) -> dict:
    reset_database(url)
    generated = generate(url, customer_count, message_count)
    results = {"generate": generated, "pages": {}, "in_process": in_process(url, samples * 2)}
    with gunicorn(url) as (base, _server):
        session = logged_in_session(base)
        results["pages"]["/healthz (the floor over HTTP)"] = percentiles(timed_gets(session, base + "/healthz", samples))
        for label, path in pages.items():
            timed_gets(session, base + path, 2)  # warm-up
            results["pages"][label] = percentiles(timed_gets(session, base + path, samples))
        if not stats:
            results["throughput"] = _list_throughput(base)
            return results
        results["pages"]["search as you type (htmx fragment)"] = percentiles(
            timed_gets(session, base + "/customers/?q=d%2012", samples, headers={"HX-Request": "true"}))
        token = subprocess.run([str(BIN / "flask"), "users", "token", USER], env={**os.environ, "DATABASE_URL": url},
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        for label, client, path in (("stats page", session, "/stats/"),
                                    ("stats summary API", api, "/manual-whatsapp/stats/summary")):
            # Cold: periods nobody asked for yet (each ends a day earlier), so nothing is cached.
            cold = [timed_gets(client, base + path + f"?to={(datetime.now(UTC) - timedelta(days=days)).date()}", 1)[0]
                    for days in range(1, COLD_SAMPLES + 1)]
            results["pages"][f"{label}, cold"] = percentiles(cold)
            results["pages"][f"{label}, cached"] = percentiles(timed_gets(client, base + path, samples))
        results["throughput"] = _list_throughput(base)
    return results


def _list_throughput(base: str) -> dict:
    list_rps = throughput(base, "/customers/", clients=8, seconds=10)
    floor_rps = throughput(base, "/healthz", clients=8, seconds=10)
    return {"list_rps": list_rps, "healthz_rps": floor_rps, "ratio": list_rps / floor_rps}


# The list at a chain's scale: a million customers (no messages; the list does not read them).
SCALE_PAGES = {label: LIST_PAGES[label] for label in
               ("list, first page", "search 1234 (fills a page)", "search by phone", "deep page (1,000)")}


# --- inbound webhooks ----------------------------------------------------------------------------

WEBHOOK_SECRET = "bench-webhook-secret"


def signed_reply_events(count: int) -> list[bytes]:
    """`count` Cloud API reply events from as many numbers, each a signed body as Meta sends it."""
    import hashlib
    import hmac

    texts = ["1", "ya", "Terima kasih", "2", "Bisa hari Sabtu?", "👍"]
    bodies = []
    for index in range(count):
        event = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp", "contacts": [{"profile": {"name": f"Pelanggan {index}"},
                                                           "wa_id": f"62812{index:08d}"}],
            "messages": [{"from": f"62812{index:08d}", "id": f"wamid.BENCH{index:08d}", "timestamp": str(int(time.time())),
                          "type": "text", "text": {"body": texts[index % len(texts)]}}]}}]}]}
        body = json.dumps(event).encode()
        signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        bodies.append((body, signature))
    return bodies


def bench_inbound(url: str, events: int, clients: int, repeat_share: float = 0.1) -> dict:
    """Reply events POSTed as fast as `clients` connections can (a tenth of them twice, as Meta repeats
    events): events accepted per second, whether every one was stored exactly once, and /healthz's
    rate from the same clients (the framework's ceiling on this machine)."""
    reset_database(url)
    bodies = signed_reply_events(events)
    deliveries = [("POST", "/webhooks/whatsapp", body, {"Content-Type": "application/json", "X-Hub-Signature-256": sig})
                  for body, sig in bodies + bodies[: int(events * repeat_share)]]
    with gunicorn(url, threads=4, extra_env={"WHATSAPP_APP_SECRET": WEBHOOK_SECRET}) as (base, _server):
        port = int(base.rsplit(":", 1)[1])
        elapsed, statuses = _hammer(port, deliveries, clients)
        floor_elapsed, _ = _hammer(port, [("GET", "/healthz", None, {})] * len(deliveries), clients)
    stored = stored_replies(url)
    return {"events": events, "deliveries": len(deliveries), "clients": clients, "seconds": elapsed,
            "accepted_per_second": len(deliveries) / elapsed, "healthz_per_second": len(deliveries) / floor_elapsed,
            "non_200": sum(status != 200 for status in statuses), "stored": stored, "lost": events - stored}


def _hammer(port: int, requests_: list, clients: int) -> tuple[float, list[int]]:
    """Send every request from `clients` keep-alive connections; (seconds, statuses)."""
    import http.client
    import threading

    lock, position, statuses = threading.Lock(), iter(requests_), []

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while True:
            with lock:
                item = next(position, None)
            if item is None:
                break
            method, path, body, headers = item
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append(response.status)
        connection.close()
        with lock:
            statuses.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, statuses


def stored_replies(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT count(*) FROM chat_message WHERE direction = 'in'")).scalar()
    finally:
        engine.dispose()


# --- sending ------------------------------------------------------------------------------------

def bench_sending(url: str, count: int, rate: float, latency: float, sequential_sample: int) -> dict:
    """Run in this process: the batch runner against the fake, timed from first send to last."""
    from datetime import date, timedelta

    import sqlalchemy as sa

    from app import create_app
    from app.config import Config
    from app.extensions import db
    from app.models import Customer, Message
    from app.services import batch_runner, reminders
    from app.whatsapp.base import OutgoingMessage
    from tests.fakes import FakeCloudApi

    fake = FakeCloudApi()
    fake.latency = latency
    reset_database(url)
    os.environ["DATABASE_URL"] = url
    config = Config()
    config.WHATSAPP_PROVIDER = "cloud_api"
    config.WHATSAPP_API_BASE_URL = fake.url
    config.WHATSAPP_ACCESS_TOKEN = fake.token
    config.WHATSAPP_PHONE_NUMBER_ID = fake.phone_number_id
    config.WHATSAPP_RATE_PER_SECOND = str(rate)
    app = create_app(config)
    try:
        with app.app_context():
            today = date.today()
            rows = []
            for index, customer in enumerate(customers(count, seed=11)):
                rows.append({
                    "id": __import__("uuid").uuid4(), "customer_name": customer["customer_name"],
                    "nopol": customer["nopol"], "no_hp": f"62812{index:08d}",
                    "next_service": today + timedelta(days=1), "last_service": today - timedelta(days=180),
                    "is_active": True, "reminder_sent_count": 0, "opted_out": False,
                    "created_at": datetime.now(UTC), "updated_at": datetime.now(UTC),
                })
            db.session.execute(Customer.__table__.insert(), rows)
            db.session.commit()
            batch = reminders.start_batch(3, True, None, Message.BATCH)
            db.session.commit()
            started = time.perf_counter()
            batch_runner.run_batch(batch.id)
            elapsed = time.perf_counter() - started
            progress = reminders.batch_progress(batch)
            assert progress.sent == count, f"only {progress.sent} of {count} sent"
            sender = reminders.provider()
            messages = db.session.scalars(sa.select(Message).limit(sequential_sample)).all()
            one_by_one = time.perf_counter()
            for message in messages:
                sender.send(OutgoingMessage(message.to_phone, message.body, []))
            sequential_rate = len(messages) / (time.perf_counter() - one_by_one)
    finally:
        fake.close()
    per_second = count / elapsed
    return {"messages": count, "seconds": elapsed, "per_second": per_second, "rate_limit": rate,
            "share_of_rate_limit": per_second / rate, "fake_latency_s": latency,
            "one_at_a_time_per_second": sequential_rate, "ratio_to_one_at_a_time": per_second / sequential_rate,
            "max_in_flight": fake.max_in_flight}


def print_pages(title: str, database: str, measured: dict):
    """Each page's figures over HTTP, then inside one process beside the SQL alone (its floor)."""
    print(f"{title:<48} {database:<11} {'median / p95':>16}  target")
    for label, value in measured["pages"].items():
        target = "< 100 ms" if "stats" in label and "cold" in label else ""
        print(f"{'  ' + label:<48} {database:<11} {value['median_ms']:>7.1f} / {value['p95_ms']:>6.1f}  {target}")
    rate = measured["throughput"]
    print(f"{'  list req/s vs /healthz req/s (8 clients)':<48} {database:<11} "
          f"{rate['list_rps']:>6.0f} / {rate['healthz_rps']:>5.0f} = {rate['ratio']:.0%}  >= 35%")
    print(f"{'  in one process: request, beside the SQL alone':<48} {database:<11} {'median / p95':>16}")
    for label, value in measured["in_process"]["pages"].items():
        request, sql = value["request"], value["sql"]
        target = "<= 4 ms" if label == "list, first page" else ""
        print(f"{'    ' + label:<48} {database:<11} {request['median_ms']:>7.2f} / {request['p95_ms']:>6.2f}  "
              f"{target:<8} (SQL {sql['median_ms']:.2f} / {sql['p95_ms']:.2f})")
    for label, value in measured["in_process"]["stats"].items():
        print(f"{'    ' + label:<48} {database:<11} {value['median_ms']:>7.1f} / {value['p95_ms']:>6.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--send-messages", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=40, help="requests per page measured")
    parser.add_argument("--inbound-events", type=int, default=5000)
    parser.add_argument("--scale-customers", type=int, default=1_000_000, help="the list's scale point")
    parser.add_argument("--only", choices=["import", "sending", "pages", "scale", "inbound"], help="run one part only")
    args = parser.parse_args()

    databases = {"sqlite": None}
    if os.environ.get("TEST_DATABASE_URL"):
        databases["postgresql"] = os.environ["TEST_DATABASE_URL"]

    sys.path.insert(0, str(ROOT))  # the fake providers live with the tests
    results = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count(),
               "import": {}, "sending": {}, "pages": {}, "scale": {}, "inbound": {}}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        databases["sqlite"] = f"sqlite:///{scratch / 'bench.db'}"
        if args.only in (None, "import"):
            sheet_path = scratch / f"pelanggan_{args.import_rows}.xlsx"
            sheet_path.write_bytes(make_sheet(args.import_rows))
            baseline = pandas_read_seconds(sheet_path, args.repeat)
            for name, url in databases.items():
                measured = bench_import(url, sheet_path, args.import_rows, args.repeat)
                measured["pandas_read_excel_seconds"] = baseline
                measured["ratio_to_read_excel"] = measured["seconds"] / baseline
                measured["file_mb"] = sheet_path.stat().st_size / 1e6
                results["import"][name] = measured
        if args.only in (None, "pages"):
            for name, url in databases.items():
                results["pages"][name] = bench_pages(url, args.customers, args.messages, args.samples)
        if args.only in (None, "scale"):
            for name, url in databases.items():
                results["scale"][name] = bench_pages(url, args.scale_customers, 0, args.samples, SCALE_PAGES, stats=False)
        if args.only in (None, "inbound"):
            for name, url in databases.items():
                results["inbound"][name] = bench_inbound(url, args.inbound_events, clients=16)
        if args.only in (None, "sending"):
            for name, url in databases.items():
                results["sending"][name] = bench_sending(url, args.send_messages, rate=50, latency=0.1,
                                                         sequential_sample=100)

    print(f"\nmachine: {results['cores']} cores, {results['date']}")
    print(f"{'measure':<48} {'database':<11} {'value':>10}  target")
    for name, measured in results["import"].items():
        print(f"{f'import {args.import_rows:,} rows xlsx, upload→committed':<48} {name:<11} "
              f"{measured['seconds']:>9.2f}s  < 3 s")
        print(f"{'  of which upload / check / preview page / commit':<48} {name:<11} "
              f"{' / '.join(f'{value:.2f}' for value in measured['steps'].values()):>10}s")
        print(f"{'  server peak memory (worker VmHWM)':<48} {name:<11} {measured['peak_rss_mb']:>8.0f}MB  < 400 MB")
        print(f"{'  ratio to pandas.read_excel alone':<48} {name:<11} {measured['ratio_to_read_excel']:>9.1f}×  <= 8×, "
              f"(read_excel {measured['pandas_read_excel_seconds']:.2f}s)")
    for part, count, messages in (("pages", args.customers, args.messages), ("scale", args.scale_customers, 0)):
        for name, measured in results[part].items():
            print_pages(f"{count:,} customers, {messages:,} messages", name, measured)
    for name, measured in results["inbound"].items():
        label = f"inbound replies ({measured['deliveries']:,} POSTs, 16 clients)"
        print(f"{label:<48} {name:<11} "
              f"{measured['accepted_per_second']:>7.0f}/s  >= 1000/s, none lost "
              f"(stored {measured['stored']:,} of {measured['events']:,}, non-200: {measured['non_200']}; "
              f"/healthz {measured['healthz_per_second']:.0f}/s)")
    for name, measured in results["sending"].items():
        label = f"send {measured['messages']:,} reminders, fake 100 ms, limit 50/s"
        print(f"{label:<48} {name:<11} "
              f"{measured['per_second']:>7.1f}/s  >= 45/s (90% of the limit)")
        print(f"{'  ratio to one at a time':<48} {name:<11} {measured['ratio_to_one_at_a_time']:>9.1f}×  "
              f"(one at a time {measured['one_at_a_time_per_second']:.1f}/s)")
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
