#!/usr/bin/env bash
# Load benchmark of the fairshare HTTP server on loopback, with wrk.
#
# Builds release, starts `fairshare-server` on a fresh book, seeds it, and runs wrk for
# DURATION seconds per case: reads/s (GET a project: policy and plan; anonymous and with an
# API key), then durable contribution writes/s with 32 connections, each POST with its own
# Idempotency-Key. On SQLite always; on PostgreSQL too when FAIRSHARE_TEST_POSTGRES (or FAIRSHARE_BENCH_POSTGRES)
# names a database (a fresh schema is used and dropped). Reads are measured with and without
# the catch-up check that makes them see other processes' writes. Loopback only, bounded in
# time; prints one line per case and stops every server it started.
#
#   bash crates/fairshare-server/benches/load.sh            # DURATION=10 by default
#   DURATION=5 FAIRSHARE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test bash ...
set -euo pipefail

DURATION=${DURATION:-10}
READ_CONNECTIONS=${READ_CONNECTIONS:-64}
WRITE_CONNECTIONS=${WRITE_CONNECTIONS:-32}
# One wrk thread: the load generator shares the machine's 2 cores with the server, and a
# second wrk thread mostly takes CPU from the server (and adds scheduling delay to its tail).
WRK_THREADS=${WRK_THREADS:-1}
SEED=${SEED:-1000}
PG_URL=${FAIRSHARE_BENCH_POSTGRES:-${FAIRSHARE_TEST_POSTGRES:-}}

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT"
cargo build --release -q -p fairshare-server --bin fairshare-server --example bench_seed
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
SERVER="$TARGET/release/fairshare-server"
SEEDER="$TARGET/release/examples/bench_seed"

WORK=$(mktemp -d)
PIDS=()
SCHEMA=""
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [[ -n "$SCHEMA" ]]; then psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# A POST per request, each with its own idempotency key.
cat > "$WORK/post.lua" <<'LUA'
local counter = 0
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"kind": "work", "category": "dev", "hours": "1"}'
end
function request()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = string.format("bench-%d-%d-%d", os.time(), id, counter)
  return wrk.format(nil, "/api/v1/projects/load/contributions")
end
LUA

# start BOOK [FLAGS...]: starts a server on a free port, sets $BASE and $PID.
start() {
  local book=$1; shift
  local out="$WORK/server-$RANDOM.out"
  RUST_LOG=warn "$SERVER" --book "$book" --addr 127.0.0.1:0 "$@" >"$out" 2>"$WORK/server.err" &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq 1 200); do
    if grep -q '^listening on ' "$out" 2>/dev/null; then
      BASE=$(sed -n 's/^listening on //p' "$out" | head -1)
      return
    fi
    sleep 0.05
  done
  echo "the server did not start:" >&2; cat "$WORK/server.err" >&2; exit 1
}

stop() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
}

# run NAME WRK_ARGS...: runs wrk and prints requests/s and latency percentiles.
run() {
  local name=$1; shift
  local report="$WORK/wrk.txt"
  timeout $((DURATION + 30)) wrk -t"$WRK_THREADS" -d"${DURATION}s" --latency "$@" >"$report"
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' "$report")
  p50=$(awk '$1 == "50%" {print $2}' "$report")
  p99=$(awk '$1 == "99%" {print $2}' "$report")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$report")
  printf '%-44s %12s req/s   p50 %-9s p99 %-9s%s\n' "$name" "$rps" "$p50" "$p99" \
    "${non2xx:+   non-2xx: $non2xx}"
}

# bench LABEL BOOK: seeds BOOK, measures reads (with and without catch-up) and writes.
bench() {
  local label=$1 book=$2
  local key
  key=$("$SEEDER" "$book" "$SEED")
  start "$book" --no-read-catch-up
  run "$label read  GET project (no catch-up)" -c"$READ_CONNECTIONS" "$BASE/api/v1/projects/load"
  stop
  start "$book"
  run "$label read  GET project" -c"$READ_CONNECTIONS" "$BASE/api/v1/projects/load"
  # The same read with a key: every keyed request asks the store for its key (a revoked key is
  # refused at once, on every server of the book).
  run "$label read  GET project (API key)" -c"$READ_CONNECTIONS" \
    -H "Authorization: Bearer $key" "$BASE/api/v1/projects/load"
  run "$label read  GET 10 contributions" -c"$READ_CONNECTIONS" \
    "$BASE/api/v1/projects/load/contributions?limit=10&offset=500"
  local before after
  before=$(curl -s "$BASE/api/v1/log?limit=1" | sed -n 's/.*"head":\([0-9]*\).*/\1/p')
  run "$label write POST contribution (${WRITE_CONNECTIONS} conn)" -c"$WRITE_CONNECTIONS" \
    -s "$WORK/post.lua" "$BASE" -- "$key"
  after=$(curl -s "$BASE/api/v1/log?limit=1" | sed -n 's/.*"head":\([0-9]*\).*/\1/p')
  local verified
  verified=$(curl -s "$BASE/api/v1/verify" | sed -n 's/.*"ok":\([a-z]*\).*/\1/p')
  printf '%-44s %12s events appended, verify ok=%s\n' "$label durable writes" "$((after - before))" "$verified"
  stop
}

echo "fairshare-server load benchmark: ${DURATION}s per case, wrk -t${WRK_THREADS}, $(nproc) cores, loopback"
bench "sqlite  " "$WORK/book.db"
if [[ -n "$PG_URL" ]]; then
  SCHEMA="fs_bench_$$"
  sep='?'; [[ "$PG_URL" == *\?* ]] && sep='&'
  bench "postgres" "${PG_URL}${sep}schema=${SCHEMA}"
else
  echo "postgres: skipped (set FAIRSHARE_TEST_POSTGRES to a database URL)"
fi
