#!/usr/bin/env bash
# `make test`: the whole suite on SQLite, then again on a throwaway PostgreSQL
# cluster started here from the server binaries (never the system's server).
# Browser tests run when /usr/bin/chromium exists. What is skipped is said at
# the end; with REQUIRE_ALL=1 (set by .ci/run) a skip is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
status=0
skipped=()
results=()

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  skipped+=("browser tests: no ${CHROMIUM:-/usr/bin/chromium} (Debian: apt-get install chromium)")
fi

run_pytest() {
  local label=$1
  shift
  echo
  echo "=== pytest on $label"
  if "$@"; then
    results+=("$label: passed")
  else
    results+=("$label: FAILED")
    status=1
  fi
}

run_pytest SQLite env -u DATABASE_URL "$PY" -m pytest "$@"

pgbin=""
for dir in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
  if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then pgbin=$dir; break; fi
done

if [ -z "$pgbin" ]; then
  skipped+=("PostgreSQL suite: no server binaries in /usr/lib/postgresql (Debian: apt-get install postgresql-15)")
else
  pgdata=$(mktemp -d /tmp/unified-profiles-pg.XXXXXX)
  pgport=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_pg=()
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root; its own system user runs the cluster.
    chown postgres:postgres "$pgdata"
    as_pg=(runuser -u postgres --)
  fi
  stop_cluster() {
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1
    rm -rf "$pgdata"
  }
  trap stop_cluster EXIT
  if "${as_pg[@]}" "$pgbin/initdb" -D "$pgdata" -U postgres -A trust --no-sync \
      -E UTF8 --locale=C.UTF-8 >"$pgdata.initdb.log" 2>&1 \
    && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
      -o "-p $pgport -k $pgdata -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null; then
    echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') started on 127.0.0.1:$pgport"
    run_pytest PostgreSQL env DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/postgres" \
      "$PY" -m pytest "$@"
  else
    cat "$pgdata.initdb.log" "$pgdata/server.log" 2>/dev/null
    results+=("PostgreSQL: cluster did not start")
    status=1
  fi
  rm -f "$pgdata.initdb.log"
fi

echo
echo "=== summary"
for line in "${results[@]}"; do echo "  $line"; done
if [ ${#skipped[@]} -gt 0 ]; then
  echo "  skipped:"
  for line in "${skipped[@]}"; do echo "    - $line"; done
  if [ "${REQUIRE_ALL:-0}" = 1 ]; then
    echo "  REQUIRE_ALL=1: a skipped suite is a failure"
    status=1
  fi
fi
exit $status
