#!/usr/bin/env bash
# `make bench`: benchmarks that print figures (never pass/fail), each with a
# raw-insert baseline measured in the same run on the same backend.
#   bench_resolve.py   10,000 events through `manage.py resolve_events`, on
#                      SQLite and on PostgreSQL (arguments of this script go to it)
#   bench_tracking.py  events through POST /v1/batch into PostgreSQL
# PostgreSQL is BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
# postgres); each benchmark creates and drops its own database there.
set -euo pipefail
cd "$(dirname "$0")/../.."

PG_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}

echo "=== resolve_events"
.venv/bin/python tests/bench/bench_resolve.py --pg-url "$PG_URL" "$@"

if [ -f tests/bench/bench_tracking.py ]; then
  echo
  echo "=== tracking API"
  .venv/bin/python tests/bench/bench_tracking.py --pg-url "$PG_URL"
fi
