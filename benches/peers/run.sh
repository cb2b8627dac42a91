#!/usr/bin/env bash
# Side-by-side benchmark: fairshare against ledger, hledger and bean-check on the same book.
#
#   benches/peers/run.sh [N ...]          (default N: 100000)
#
# For each N: generates the workload (10,000 agents, 50 projects, N ledger transactions: 90%
# contribution valuations, 10% revenue splits over 2-5 agents; deterministic) as a fairshare
# import file and as Beancount, hledger and Ledger journals, then times, each with
# `/usr/bin/time -v` under `timeout $TIMEOUT`:
#   fairshare:  import (every event checked) + verify + balance, on a SQLite book
#   ledger -f book.ledger balance --flat
#   hledger -f book.journal balance
#   bean-check book.beancount (with BEANCOUNT_DISABLE_LOAD_CACHE=1)
# and prints a Markdown table (wall time, peak RSS, ratio against fairshare's total).
#
# Environment: OUT (work directory, default target/peers), TIMEOUT (seconds per run, default
# 900), FAIRSHARE (the fairshare binary, default target/release/fairshare; when it is missing
# the workload example's import/verify/balance stand in), SKIP_BUILD=1, SEED.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-$ROOT/target/peers}
TIMEOUT=${TIMEOUT:-900}
SEED=${SEED:-1}
FAIRSHARE=${FAIRSHARE:-$ROOT/target/release/fairshare}
EXAMPLE=$ROOT/target/release/examples/peer_workload
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

report=$OUT/results.md
mkdir -p "$OUT"
{
    echo "| N | tool | command | wall (s) | peak RSS (MB) | wall vs fairshare | RSS vs fairshare | status |"
    echo "|---:|---|---|---:|---:|---:|---:|---|"
} >"$report"

for n in "${SIZES[@]}"; do
    dir=$OUT/$n
    rm -rf "$dir" && mkdir -p "$dir"
    echo "N=$n: generating in $dir" >&2
    "$EXAMPLE" generate --transactions "$n" --out "$dir" --seed "$SEED"
    : >"$dir/results"

    if [ -x "$FAIRSHARE" ]; then
        fs_name=fairshare
        measure "$dir" fs-import "$FAIRSHARE" --book "$dir/book.db" import "$dir/events.jsonl"
        measure "$dir" fs-verify "$FAIRSHARE" --book "$dir/book.db" verify
        measure "$dir" fs-balance "$FAIRSHARE" --book "$dir/book.db" balance
    else
        fs_name="fairshare (library)"
        measure "$dir" fs-import "$EXAMPLE" import "$dir/book.db" "$dir/events.jsonl"
        measure "$dir" fs-verify "$EXAMPLE" verify "$dir/book.db"
        measure "$dir" fs-balance "$EXAMPLE" balance "$dir/book.db"
    fi
    measure "$dir" ledger ledger -f "$dir/book.ledger" balance --flat
    measure "$dir" hledger hledger -f "$dir/book.journal" balance
    # Without its pickle cache: a fresh file has none to read, and writing one is not checking.
    BEANCOUNT_DISABLE_LOAD_CACHE=1 measure "$dir" bean-check bean-check "$dir/book.beancount"

    awk -F'|' -v n="$n" -v fs="$fs_name" -v lv="$LEDGER_VERSION" -v hv="$HLEDGER_VERSION" \
        -v bv="$BEANCOUNT_VERSION" '
        { label[NR] = $1; wall[NR] = $2; rss[NR] = $3; status[NR] = $4 }
        $1 ~ /^fs-/ { total += $2; if ($3 > peak) peak = $3 }
        END {
            name["fs-import"] = fs " | import"; name["fs-verify"] = fs " | verify"
            name["fs-balance"] = fs " | balance"
            name["ledger"] = lv " | balance --flat"; name["hledger"] = hv " | balance"
            name["bean-check"] = bv " | bean-check"
            for (i = 1; i <= NR; i++) {
                ok = status[i] == "ok"
                ratio = ok && total > 0 ? sprintf("%.2fx", wall[i] / total) : "-"
                mem = ok && peak > 0 ? sprintf("%.2fx", rss[i] / peak) : "-"
                printf "| %d | %s | %s | %s | %s | %s | %s |\n", n, name[label[i]], \
                    wall[i], rss[i], ratio, mem, status[i]
            }
            printf "| %d | %s | **import + verify + balance** | **%.2f** | %d | 1.00x | 1.00x | |\n", \
                n, fs, total, peak
        }' "$dir/results" >>"$report"
    ls -l "$dir"/events.jsonl "$dir"/book.* >&2
done

echo
cat "$report"
