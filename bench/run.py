"""`make bench`: the app under gunicorn (2 workers), measured over HTTP from this second process.

Measures today:
- import: a 50,000-row .xlsx from upload to committed (upload, preview page, commit), the
  server's peak memory, and the ratio to `pandas.read_excel(engine="calamine")` on the same file.

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
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.datagen import customers  # noqa: E402

PYTHON = sys.executable
BIN = Path(PYTHON).parent
USER, PASSWORD = "bench", "bench-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reset_database(url: str):
    """An empty, migrated database with one manager account."""
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi"}
    script = (
        "import sqlalchemy as sa\n"
        "from app import create_app\n"
        "from app.extensions import db\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    meta = sa.MetaData(); meta.reflect(db.engine); meta.drop_all(db.engine)\n"
    )
    subprocess.run([PYTHON, "-c", script], env=env, cwd=ROOT, check=True)
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([str(BIN / "flask"), "users", "create", USER, "--role", "manager", "--password", PASSWORD],
                   env=env, cwd=ROOT, check=True, capture_output=True)


@contextmanager
def gunicorn(url: str, workers: int = 2):
    """The app served by gunicorn on 127.0.0.1; yields (base URL, server process)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development"}
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "120",
         "--log-level", "warning", "wsgi:app"],
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
            preview = session.get(preview_url, timeout=120)
            previewed = time.perf_counter()
            assert f"<strong>{rows}</strong> baru" in preview.text, "preview did not classify every row as new"
            result = session.post(preview_url + "/commit", data={"on_existing": "skip", "mode": "valid_only"},
                                  timeout=120)
            elapsed = time.perf_counter() - started
            steps.append({"upload": uploaded - started, "preview": previewed - uploaded,
                          "commit": elapsed - (previewed - started)})
            assert f"<strong>{rows}</strong> pelanggan baru" in result.text, "commit did not create every row"
            timings.append(elapsed)
            peaks.append(worker_peak_rss_mb(server))
    return {"seconds": statistics.median(timings), "runs": timings, "peak_rss_mb": max(peaks),
            "steps": {name: statistics.median(step[name] for step in steps) for name in steps[0]}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    databases = {"sqlite": None}
    if os.environ.get("TEST_DATABASE_URL"):
        databases["postgresql"] = os.environ["TEST_DATABASE_URL"]

    results = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count(), "import": {}}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        databases["sqlite"] = f"sqlite:///{scratch / 'bench.db'}"
        sheet_path = scratch / f"pelanggan_{args.import_rows}.xlsx"
        sheet_path.write_bytes(make_sheet(args.import_rows))
        baseline = pandas_read_seconds(sheet_path, args.repeat)
        for name, url in databases.items():
            measured = bench_import(url, sheet_path, args.import_rows, args.repeat)
            measured["pandas_read_excel_seconds"] = baseline
            measured["ratio_to_read_excel"] = measured["seconds"] / baseline
            measured["file_mb"] = sheet_path.stat().st_size / 1e6
            results["import"][name] = measured

    print(f"\nmachine: {results['cores']} cores, {results['date']}")
    print(f"{'measure':<48} {'database':<11} {'value':>10}  target")
    for name, measured in results["import"].items():
        print(f"{f'import {args.import_rows:,} rows xlsx, upload→committed':<48} {name:<11} "
              f"{measured['seconds']:>9.2f}s  < 6 s")
        print(f"{'  of which upload / preview page / commit':<48} {name:<11} "
              f"{' / '.join(f'{value:.2f}' for value in measured['steps'].values()):>10}s")
        print(f"{'  server peak memory (worker VmHWM)':<48} {name:<11} {measured['peak_rss_mb']:>8.0f}MB  < 500 MB")
        print(f"{'  ratio to pandas.read_excel alone':<48} {name:<11} {measured['ratio_to_read_excel']:>9.1f}×  "
              f"(read_excel {measured['pandas_read_excel_seconds']:.2f}s)")
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
