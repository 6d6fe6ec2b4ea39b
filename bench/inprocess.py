"""The list and the stats measured inside one process, beside their floors: no HTTP, no gunicorn.

    DATABASE_URL=… python bench/inprocess.py [--samples N]

For each list page: the whole request through Flask's test client (routing, login, the SQL, the
page), and the SQL alone (`customers.list_customers`, the list's two statements and the loading of
its rows). For the stats: the summary's SQL with the cache off, over periods nobody asked for
(each ends a day earlier). Prints one JSON object, which bench/run.py reads.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import USER  # noqa: E402

PAGES = {
    "list, first page": "/customers/",
    "search 1234 (fills a page)": "/customers/?q=1234",
    "search by phone": "/customers/?q=0812%2034",
    "deep page (1,000)": "/customers/?page=1000",
}


def percentiles(samples: list[float]) -> dict:
    """The median and the 95th percentile (nearest rank: with 3 samples, the slowest)."""
    ordered = sorted(samples)
    return {"median_ms": statistics.median(ordered), "p95_ms": ordered[math.ceil(len(ordered) * 0.95) - 1]}


def timed(function, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def measure(samples: int, stats_samples: int) -> dict:
    from app import clock, create_app
    from app.customers.listing import list_query_from_request
    from app.extensions import db
    from app.models import User
    from app.services import customers, stats

    app = create_app()
    app.config["STATS_CACHE_SECONDS"] = 0
    results = {"pages": {}, "stats": {}}
    with app.test_client() as client:
        with app.app_context():
            user_id = db.session.scalar(db.select(User).filter_by(username=USER)).get_id()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = user_id, True
        for label, path in PAGES.items():
            for _ in range(3):  # warm-up
                assert client.get(path).status_code == 200, path
            request_times = timed(lambda path=path: client.get(path), samples)
            with app.test_request_context(path):
                query = list_query_from_request()
                sql_times = timed(lambda query=query: (customers.list_customers(query), db.session.expunge_all()), samples)
            results["pages"][label] = {"request": percentiles(request_times), "sql": percentiles(sql_times)}
    with app.app_context():
        today = clock.today()
        periods = [stats.Period(today - timedelta(days=29 + days), today - timedelta(days=days))
                   for days in range(1, stats_samples + 1)]
        results["stats"]["summary SQL, cold"] = percentiles(
            [timed(lambda period=period: stats.summary(period), 1)[0] for period in periods])
        results["stats"]["messages per day SQL, cold"] = percentiles(
            [timed(lambda period=period: stats.messages_per_day(period), 1)[0] for period in periods])
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--stats-samples", type=int, default=7)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        parser.error("DATABASE_URL must name the benchmark's database")
    print(json.dumps(measure(args.samples, args.stats_samples)))


if __name__ == "__main__":
    main()
