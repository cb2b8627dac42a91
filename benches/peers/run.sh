#!/usr/bin/env bash
# Side by side, by the user's job (issue 17): fairshare against ledger, hledger and bean-check
# on the same book.
#
#   benches/peers/run.sh [N ...]          (default N: 100000)
#
# For each N: generates the workload (10,000 agents, 50 projects, N ledger transactions: 90%
# contribution valuations, 10% revenue splits over 2-5 agents; deterministic) as a fairshare
# import file and as Beancount, hledger and Ledger journals (written by fairshare's exporters),
# then times each run with `/usr/bin/time -v` under `timeout $TIMEOUT`:
#   fairshare:  import (every event checked; a long import ends with a snapshot),
#               balance (open an existing book + answer), verify (full audit from event 1)
#   ledger:     balance --flat (parse + answer), --pedantic balance --flat (strict audit)
#   hledger:    balance (parse + answer), check --strict (strict audit)
#   bean-check: (parse + every check; Beancount has no lighter way to answer)
# and prints two Markdown tables: every run, and the jobs a user has:
#   (a) first load      fairshare import    vs each tool's parse + answer
#   (b) a balance on an existing book: fairshare balance vs each tool's parse + answer (a
#       plain-text tool re-parses its whole journal for every question)
#   (c) a full audit    fairshare verify    vs each tool's strict run
#   (a)+(c)             import + verify     vs the tool's strict run (one run loads and audits)
# with the ratio tool / fairshare (above 1: fairshare is faster).
# With SHARES=1, job (d): `fairshare shares` of the 1,000,000 contributions of 10,000 people
# (`fairshare generate --agents 10000 --contributions 1000000 --seed 7`, imported once), to set
# beside SourceCred's published 390 s and 7 GiB for the same size (not run here).
#
# Environment: OUT (work directory, default target/peers), TIMEOUT (seconds per run, default
# 900), FAIRSHARE (the fairshare binary, default target/release/fairshare; when it is missing
# the workload example's import/verify/balance stand in), EXAMPLE (the peer_workload
# binary), SKIP_BUILD=1, SEED, SHARES=1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-$ROOT/target/peers}
TIMEOUT=${TIMEOUT:-900}
SEED=${SEED:-1}
FAIRSHARE=${FAIRSHARE:-$ROOT/target/release/fairshare}
EXAMPLE=${EXAMPLE:-$ROOT/target/release/examples/peer_workload}
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(100000)

for tool in /usr/bin/time timeout ledger hledger bean-check; do
    command -v "$tool" >/dev/null || { echo "missing: $tool (see docs/EXPORTS.md)" >&2; exit 1; }
done
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    (cd "$ROOT" && cargo build --release -p fairshare-export --example peer_workload)
fi

LEDGER_VERSION=$(ledger --version | head -1 | awk '{ sub(",", "", $2); print "ledger " $2 }')
HLEDGER_VERSION=$(hledger --version | head -1 | awk '{ sub(",", "", $2); print "hledger " $2 }')
BEANCOUNT_VERSION=$(bean-check --version 2>&1 | head -1 | awk '{ print "beancount " $2 }')

seconds() { # "h:mm:ss" or "m:ss.ss" -> seconds
    awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'
}

# measure DIR LABEL CMD...: one timed run; appends "label|wall|rss_mb|status" to DIR/results.
measure() {
    local dir=$1 label=$2; shift 2
    local timing=$dir/$label.time status wall rss
    set +e
    /usr/bin/time -v -o "$timing" timeout --kill-after=10 "$TIMEOUT" "$@" \
        >"$dir/$label.out" 2>"$dir/$label.err"
    status=$?
    set -e
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$timing" | seconds)
    rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$timing")
    case $status in
        0) status=ok ;;
        124|137) status="timeout (${TIMEOUT} s)" ;;
        *) status="failed (exit $status, see $dir/$label.err)" ;;
    esac
    echo "$label|$wall|$rss|$status" >>"$dir/results"
    echo "  $label: ${wall} s, ${rss} MB, $status" >&2
}

runs=$OUT/runs.md
jobs=$OUT/jobs.md
mkdir -p "$OUT"
{
    echo "| N | tool | command | wall (s) | peak RSS (MB) | status |"
    echo "|---:|---|---|---:|---:|---|"
} >"$runs"
{
    echo "| N | job | fairshare (s) | ledger (s) | hledger (s) | beancount (s) | ledger / fs | hledger / fs | beancount / fs |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|"
} >"$jobs"

for n in "${SIZES[@]}"; do
    dir=$OUT/$n
    rm -rf "$dir" && mkdir -p "$dir"
    echo "N=$n: generating in $dir" >&2
    "$EXAMPLE" generate --transactions "$n" --out "$dir" --seed "$SEED"
    : >"$dir/results"

    if [ -x "$FAIRSHARE" ]; then
        fs_name=fairshare
        measure "$dir" fs-import "$FAIRSHARE" --book "$dir/book.db" import "$dir/events.jsonl"
        measure "$dir" fs-balance "$FAIRSHARE" --book "$dir/book.db" balance
        measure "$dir" fs-verify "$FAIRSHARE" --book "$dir/book.db" verify
    else
        fs_name="fairshare (library)"
        measure "$dir" fs-import "$EXAMPLE" import "$dir/book.db" "$dir/events.jsonl"
        measure "$dir" fs-balance "$EXAMPLE" balance "$dir/book.db"
        measure "$dir" fs-verify "$EXAMPLE" verify "$dir/book.db"
    fi
    measure "$dir" ledger ledger -f "$dir/book.ledger" balance --flat
    measure "$dir" ledger-strict ledger -f "$dir/book.ledger" --pedantic balance --flat
    measure "$dir" hledger hledger -f "$dir/book.journal" balance
    measure "$dir" hledger-strict hledger -f "$dir/book.journal" check --strict
    # Without its pickle cache: a fresh file has none to read, and writing one is not checking.
    BEANCOUNT_DISABLE_LOAD_CACHE=1 measure "$dir" bean-check bean-check "$dir/book.beancount"

    awk -F'|' -v n="$n" -v fs="$fs_name" -v lv="$LEDGER_VERSION" -v hv="$HLEDGER_VERSION" \
        -v bv="$BEANCOUNT_VERSION" -v runs="$runs" -v jobs="$jobs" '
        { wall[$1] = $2; rss[$1] = $3; status[$1] = $4; order[NR] = $1 }
        function ok(l) { return status[l] == "ok" }
        function w(l) { return ok(l) ? wall[l] : "-" }
        function ratio(l, base) { return ok(l) && base > 0 ? sprintf("%.1fx", wall[l] / base) : "-" }
        function sum(a, b) { return ok(a) && ok(b) ? wall[a] + wall[b] : "-" }
        function row(job, f, l, h, b) {
            printf "| %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", n, job, f, w(l), w(h), w(b), \
                ratio(l, f), ratio(h, f), ratio(b, f) >> jobs
        }
        END {
            name["fs-import"] = fs " | import"; name["fs-balance"] = fs " | balance (existing book)"
            name["fs-verify"] = fs " | verify"
            name["ledger"] = lv " | balance --flat"; name["ledger-strict"] = lv " | --pedantic balance --flat"
            name["hledger"] = hv " | balance"; name["hledger-strict"] = hv " | check --strict"
            name["bean-check"] = bv " | bean-check"
            for (i = 1; i <= NR; i++) {
                l = order[i]
                printf "| %d | %s | %s | %s | %s |\n", n, name[l], wall[l], rss[l], status[l] >> runs
            }
            row("(a) first load", w("fs-import"), "ledger", "hledger", "bean-check")
            row("(b) a balance, book exists", w("fs-balance"), "ledger", "hledger", "bean-check")
            row("(c) full audit", w("fs-verify"), "ledger-strict", "hledger-strict", "bean-check")
            row("(a)+(c) load and audit", sum("fs-import", "fs-verify"), "ledger-strict", "hledger-strict", "bean-check")
        }' "$dir/results"
    ls -l "$dir"/events.jsonl "$dir"/book.* >&2
done

if [ "${SHARES:-0}" = 1 ] && [ -x "$FAIRSHARE" ]; then
    dir=$OUT/shares
    mkdir -p "$dir"
    [ -f "$dir/mid.jsonl" ] || "$FAIRSHARE" generate --agents 10000 --contributions 1000000 \
        --seed 7 --output "$dir/mid.jsonl" >/dev/null
    rm -f "$dir"/book.db*
    : >"$dir/results"
    measure "$dir" fs-import-1m "$FAIRSHARE" --book "$dir/book.db" import "$dir/mid.jsonl"
    measure "$dir" fs-shares-1m "$FAIRSHARE" --book "$dir/book.db" shares p0001
    awk -F'|' '{ printf "| 1,000,000 contributions, 10,000 agents | fairshare | %s | %s s | %s MB | %s |\n", $1, $2, $3, $4 }' \
        "$dir/results" >"$OUT/shares.md"
fi

echo
cat "$runs"
echo
cat "$jobs"
[ -f "$OUT/shares.md" ] && { echo; cat "$OUT/shares.md"; }
