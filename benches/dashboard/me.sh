#!/usr/bin/env bash
# The dashboard's /me page on a big book (docs/BENCHMARKS.md):
#
#   benches/dashboard/me.sh BIN BOOK PORT HANDLE
#
# Serves BOOK with BIN (a release build of fairshare), logs HANDLE in through the login form
# (its password set beforehand: `echo "correct horse battery" | fairshare --book BOOK
# password set HANDLE`), asks /me three times and prints each answer's status, time and size,
# then the server's VmRSS and VmHWM two seconds later.
set -u
BIN=$1; BOOK=$2; PORT=$3; HANDLE=$4
BASE=http://127.0.0.1:$PORT
"$BIN" --book "$BOOK" serve --addr "127.0.0.1:$PORT" > "/tmp/serve-$PORT.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
for _ in $(seq 1 120); do curl -s -o /dev/null "$BASE/login" && break; sleep 0.5; done
JAR=$(mktemp)
TOKEN=$(curl -s -c "$JAR" "$BASE/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 \
    | sed 's/.*value="//; s/"$//')
curl -s -b "$JAR" -c "$JAR" -o /dev/null -w "login %{http_code}\n" -X POST \
    --data-urlencode "csrf=$TOKEN" --data-urlencode "handle=$HANDLE" \
    --data-urlencode "password=correct horse battery" "$BASE/login"
for _ in 1 2 3; do
    curl -s -b "$JAR" -o /dev/null \
        -w "/me %{http_code} %{time_total} s %{size_download} bytes\n" "$BASE/me"
done
sleep 2
grep -E "VmRSS|VmHWM" "/proc/$PID/status" | tr '\n' ' '
echo
