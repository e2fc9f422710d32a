"""Benchmark: `manage.py resolve_events` on 10,000 seeded events.

Not a test: it prints figures. For each backend (SQLite in a temporary file,
PostgreSQL in a database `bench` that it creates and drops) it migrates a fresh
database, resolves the same JSON Lines file with the real command in a
subprocess, and reads the command's own summary line. In the same run it
measures a baseline on the same backend: `executemany` of one identifier row
per event into a plain table (psycopg 3 on PostgreSQL, sqlite3 on SQLite), and
prints resolve events/s divided by baseline rows/s.

The stream: people browse anonymously on one device, sign in (user id, email,
sometimes a phone), buy, and browse on a second device; about 5% of the events
are a sign-in on that second device, which joins two existing profiles (a
merge).

    python tests/bench/bench_resolve.py [--events 10000] [--seed 7]
        [--pg-url postgres://postgres@127.0.0.1:5432/postgres] [--no-pg]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parents[2]
START = datetime(2024, 6, 3, tzinfo=UTC)
SUMMARY = re.compile(
    r"events=(\d+) profiles_created=(\d+) merges=(\d+) warnings=(\d+) "
    r"seconds=(\d+\.\d+)"
)
BASELINE_TABLE = "bench_identifier"


@dataclass
class Figures:
    backend: str
    events: int
    profiles_created: int
    merges: int
    warnings: int
    seconds: float
    baseline_rows_per_second: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds

    @property
    def ratio(self) -> float:
        return self.events_per_second / self.baseline_rows_per_second


def bench_events(*, count: int, seed: int) -> list[dict[str, Any]]:
    """`count` messages in time order, with messageId and timestamp."""
    rng = random.Random(seed)
    timed: list[tuple[datetime, int, dict[str, Any]]] = []
    person = 0
    # About 8.5 messages a person; stop once there is enough to cut `count`.
    while len(timed) < count * 1.1:
        at = START + timedelta(minutes=rng.randrange(60 * 24 * 5))
        for message in person_journey(person, rng):
            at += timedelta(minutes=rng.randrange(1, 90))
            timed.append((at, len(timed), message))
        person += 1

    timed.sort(key=lambda item: (item[0], item[1]))
    messages = []
    for index, (at, _, message) in enumerate(timed[:count]):
        message["messageId"] = f"bench-{seed}-{index}"
        message["timestamp"] = at.isoformat()
        messages.append(message)
    return messages


def person_journey(person: int, rng: random.Random) -> list[dict[str, Any]]:
    user_id = f"user-{person}"
    laptop = f"anon-{person}-laptop"
    phone_app = f"anon-{person}-app"
    traits: dict[str, Any] = {"email": f"person{person}@example.com", "plan": "free"}
    if rng.random() < 0.5:
        traits["phone"] = f"+1415{200 + person // 10000:03d}{person % 10000:04d}"

    journey: list[dict[str, Any]] = [
        {"type": "page", "anonymousId": laptop, "name": "Home"},
        {"type": "page", "anonymousId": laptop, "name": "Pricing"},
        {"type": "page", "anonymousId": laptop, "name": "Sign up"},
        {
            "type": "identify",
            "userId": user_id,
            "anonymousId": laptop,
            "traits": traits,
        },
        {"type": "track", "userId": user_id, "event": "Signed Up"},
        {"type": "track", "userId": user_id, "event": "Order Completed"},
    ]
    if rng.random() < 0.45:
        # The app on their phone gets its own profile until they sign in there,
        # and that sign-in merges it into the profile of the laptop.
        journey += [
            {"type": "screen", "anonymousId": phone_app, "name": "Catalogue"},
            {"type": "screen", "anonymousId": phone_app, "name": "Cart"},
            {"type": "identify", "userId": user_id, "anonymousId": phone_app},
        ]
    else:
        journey += [
            {"type": "track", "userId": user_id, "event": "Product Viewed"},
            {"type": "track", "userId": user_id, "event": "Order Completed"},
        ]
    return journey


def baseline_rows(messages: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """One identifier row per event, as a plain insert would store it."""
    rows = []
    for index, message in enumerate(messages):
        if "userId" in message:
            rows.append(("user_id", message["userId"], index))
        else:
            rows.append(("anonymous_id", message["anonymousId"], index))
    return rows


def run_manage(database_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def resolve(
    database_url: str, events_path: Path, *, batch_size: int
) -> tuple[int, int, int, int, float]:
    run_manage(database_url, "migrate", "--noinput")
    summary = run_manage(
        database_url,
        "resolve_events",
        str(events_path),
        f"--batch-size={batch_size}",
    )
    match = SUMMARY.fullmatch(summary.splitlines()[-1])
    if not match:
        sys.exit(f"unexpected summary: {summary!r}")
    events, created, merges, warnings = (int(g) for g in match.groups()[:4])
    return events, created, merges, warnings, float(match.group(5))


def bench_sqlite(
    events_path: Path, rows: list[tuple[str, str, int]], *, batch_size: int
) -> Figures:
    with tempfile.TemporaryDirectory() as folder:
        figures = resolve(
            f"sqlite:///{folder}/bench.sqlite3", events_path, batch_size=batch_size
        )

        connection = sqlite3.connect(f"{folder}/baseline.sqlite3")
        connection.execute(
            f"CREATE TABLE {BASELINE_TABLE} (id INTEGER PRIMARY KEY, kind TEXT, "
            "value TEXT, profile_id INTEGER, UNIQUE (kind, value))"
        )
        started = time.perf_counter()
        with connection:
            connection.executemany(
                f"INSERT INTO {BASELINE_TABLE} (kind, value, profile_id) "  # noqa: S608
                "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                rows,
            )
        elapsed = time.perf_counter() - started
        connection.close()
    return Figures("SQLite", *figures, baseline_rows_per_second=len(rows) / elapsed)


def bench_postgres(
    admin_url: str,
    events_path: Path,
    rows: list[tuple[str, str, int]],
    *,
    batch_size: int,
) -> Figures | None:
    try:
        admin = psycopg.connect(admin_url, autocommit=True)
    except psycopg.OperationalError as error:
        print(f"PostgreSQL not reachable at {admin_url}: skipped ({error})")
        return None

    bench_db = sql.Identifier("bench")
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(bench_db))
    admin.execute(sql.SQL("CREATE DATABASE {}").format(bench_db))
    bench_url = admin_url.rsplit("/", 1)[0] + "/bench"
    try:
        figures = resolve(bench_url, events_path, batch_size=batch_size)

        with psycopg.connect(bench_url) as connection:
            connection.execute(
                f"CREATE TABLE {BASELINE_TABLE} (id bigserial PRIMARY KEY, "
                "kind text, value text, profile_id bigint, UNIQUE (kind, value))"
            )
            connection.commit()
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {BASELINE_TABLE} (kind, value, profile_id) "  # noqa: S608
                    "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    rows,
                )
            connection.commit()
            elapsed = time.perf_counter() - started
    finally:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(bench_db)
        )
        admin.close()
    return Figures("PostgreSQL", *figures, baseline_rows_per_second=len(rows) / elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
        ),
        help="a server where the database `bench` may be created and dropped",
    )
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1,
        help="passed to resolve_events (default 1: a transaction per message)",
    )
    options = parser.parse_args()

    messages = bench_events(count=options.events, seed=options.seed)
    bridging = sum(
        1 for m in messages if m["type"] == "identify" and "-app" in m["anonymousId"]
    )
    rows = baseline_rows(messages)
    print(
        f"{len(messages)} events (seed {options.seed}), {bridging} bridging "
        f"({bridging / len(messages):.1%}) on a {os.cpu_count()}-core machine, "
        f"resolve_events --batch-size {options.batch_size}"
    )

    with tempfile.TemporaryDirectory() as folder:
        events_path = Path(folder) / "events.jsonl"
        events_path.write_text("".join(json.dumps(m) + "\n" for m in messages))
        batch_size = options.batch_size
        results = [bench_sqlite(events_path, rows, batch_size=batch_size)]
        if not options.no_pg:
            results.append(
                bench_postgres(options.pg_url, events_path, rows, batch_size=batch_size)
            )

    print(
        f"{'backend':<11} {'events':>7} {'created':>8} {'merges':>7} "
        f"{'warnings':>8} {'seconds':>8} {'events/s':>9} {'baseline/s':>11} "
        f"{'ratio':>7}"
    )
    for figures in filter(None, results):
        print(
            f"{figures.backend:<11} {figures.events:>7} "
            f"{figures.profiles_created:>8} {figures.merges:>7} "
            f"{figures.warnings:>8} {figures.seconds:>8.2f} "
            f"{figures.events_per_second:>9.0f} "
            f"{figures.baseline_rows_per_second:>11.0f} {figures.ratio:>7.4f}"
        )
    print(
        "ratio = resolve_events events/s / executemany of one identifier row per "
        "event on the same backend"
    )


if __name__ == "__main__":
    main()
