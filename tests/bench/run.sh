#!/usr/bin/env bash
# `make bench`: benchmarks that print figures (never pass/fail). Resolving
# 10,000 events through `resolve_events` on SQLite and on the PostgreSQL at
# BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres,
# where a database `bench` is created and dropped), with a raw-insert baseline.
set -euo pipefail
cd "$(dirname "$0")/../.."

.venv/bin/python tests/bench/bench_resolve.py "$@"
