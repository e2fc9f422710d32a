"""Benchmark: events per second through `POST /v1/batch` into PostgreSQL.

Not a test: it prints figures. It creates a fresh database on the PostgreSQL
at --pg-url, migrates it, creates a write key, starts gunicorn (3 workers on a
free port of 127.0.0.1) on it, and has the official Segment client
(`upload_size=100`, gzip, its own consumer threads) deliver a seeded stream of
identify, track and page calls. The clock runs from the first call to the
moment every event is stored (read in the database), bounded by --events and
--max-seconds. In the same run it measures a baseline on the same server:
psycopg `executemany` of one row per event into a plain table. It prints both
and their ratio, then drops the database.

    python tests/bench/bench_tracking.py [--events 5000] [--max-seconds 300]
        [--workers 3] [--client-threads 3] [--seed 11]
        [--pg-url postgres://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from segment.analytics import Client

REPO_ROOT = Path(__file__).resolve().parents[2]
PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
GUNICORN = REPO_ROOT / ".venv" / "bin" / "gunicorn"


def main() -> None:
    options = parse_arguments()
    database = f"bench_tracking_{os.getpid()}"
    admin_url = options.pg_url
    url = with_database(admin_url, database)

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    server = None
    try:
        environment = server_environment(url)
        write_key = prepare(environment)
        port = free_port()
        server = start_gunicorn(environment, port=port, workers=options.workers)
        wait_for_port(port, timeout=30)

        sent, errors, seconds, stored = deliver(
            host=f"http://127.0.0.1:{port}",
            write_key=write_key,
            url=url,
            events=options.events,
            max_seconds=options.max_seconds,
            threads=options.client_threads,
            seed=options.seed,
        )
        baseline = baseline_rows_per_second(url, rows=max(options.events, 20_000))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(database)
                )
            )

    rate = stored / seconds if seconds else 0.0
    print(
        f"tracking API -> PostgreSQL: {stored}/{sent} events stored in "
        f"{seconds:.2f} s = {rate:,.0f} events/s "
        f"(gunicorn {options.workers} workers, Segment client upload_size=100, "
        f"gzip, {options.client_threads} consumer threads; client errors: {errors})"
    )
    print(f"baseline psycopg executemany, one row per event: {baseline:,.0f} rows/s")
    print(f"ratio events/s / baseline rows/s: {rate / baseline:.4f}")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--client-threads", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
        ),
    )
    return parser.parse_args()


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def server_environment(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-not-secret",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        # Merges log at INFO; the benchmark measures ingest, not logging.
        "LOG_LEVEL": "WARNING",
    }


def prepare(environment: dict[str, str]) -> str:
    manage = [str(PYTHON), str(REPO_ROOT / "manage.py")]
    subprocess.run(
        [*manage, "migrate", "--noinput", "-v", "0"],
        check=True,
        env=environment,
        cwd=REPO_ROOT,
    )
    created = subprocess.run(
        [*manage, "create_write_key", "bench"],
        check=True,
        env=environment,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    return created.stdout.splitlines()[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(
    environment: dict[str, str], *, port: int, workers: int
) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(GUNICORN),
            "console.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=environment,
        cwd=REPO_ROOT,
    )


def wait_for_port(port: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"gunicorn did not listen on port {port} within {timeout} s")


def stream(count: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """People browse anonymously, sign in with an email, then act signed in."""
    rng = random.Random(seed)
    calls: list[tuple[str, dict[str, Any]]] = []
    person = 0
    while len(calls) < count:
        person += 1
        anonymous_id, user_id = f"anon-{person}", f"user-{person}"
        for page in range(rng.randint(1, 3)):
            calls.append(
                ("page", {"anonymous_id": anonymous_id, "name": f"Page {page}"})
            )
        calls.append(
            (
                "identify",
                {
                    "user_id": user_id,
                    "anonymous_id": anonymous_id,
                    "traits": {
                        "email": f"person{person}@example.test",
                        "plan": rng.choice(["free", "pro"]),
                    },
                },
            )
        )
        for _ in range(rng.randint(1, 4)):
            calls.append(
                (
                    "track",
                    {
                        "user_id": user_id,
                        "event": rng.choice(["Viewed", "Added", "Paid"]),
                        "properties": {"amount": rng.randint(1, 500)},
                    },
                )
            )
    return calls[:count]


def deliver(
    *,
    host: str,
    write_key: str,
    url: str,
    events: int,
    max_seconds: float,
    threads: int,
    seed: int,
) -> tuple[int, int, float, int]:
    calls = stream(events, seed)
    errors: list[Exception] = []
    client = Client(
        write_key,
        host=host,
        gzip=True,
        upload_size=100,
        thread=threads,
        max_queue_size=events + 1,
        on_error=lambda error, batch: errors.append(error),
    )

    started = time.monotonic()
    for kind, arguments in calls:
        getattr(client, kind)(**arguments)
    stored = 0
    with psycopg.connect(url, autocommit=True) as connection:
        while time.monotonic() - started < max_seconds:
            stored = connection.execute(
                "SELECT count(*) FROM profiles_event"
            ).fetchone()[0]
            if stored >= len(calls) or (errors and client.queue.empty()):
                break
            time.sleep(0.05)
    seconds = time.monotonic() - started
    client.flush()
    client.join()
    return len(calls), len(errors), seconds, stored


def baseline_rows_per_second(url: str, *, rows: int) -> float:
    data = [("user_id", f"user-{index}", index) for index in range(rows)]
    with psycopg.connect(url) as connection:
        connection.execute(
            "CREATE TABLE bench_baseline "
            "(id bigserial PRIMARY KEY, kind text, value text, profile_id bigint)"
        )
        connection.commit()
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO bench_baseline (kind, value, profile_id) "
                "VALUES (%s, %s, %s)",
                data,
            )
        connection.commit()
        seconds = time.monotonic() - started
    return rows / seconds


if __name__ == "__main__":
    sys.exit(main())
