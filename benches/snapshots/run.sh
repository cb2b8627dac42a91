#!/usr/bin/env bash
# Snapshots (issue 17): open + `balance a000001` of the 1,000,000-contribution book by full
# replay and from a snapshot at its last event, interleaved, on copies of one imported file;
# the `snapshot` command itself; `verify` without and with the snapshot to check.
# Usage: benches/snapshots/run.sh [DIR] [ROUNDS]   (release build of fairshare-cli first)
set -euo pipefail
cd "$(dirname "$0")/../.."
F=${FAIRSHARE_BIN:-${CARGO_TARGET_DIR:-target}/release/fairshare}
DIR=${1:-/tmp/fairshare-snapshots}
ROUNDS=${2:-5}
mkdir -p "$DIR"
TIME=(/usr/bin/time -f "%e s %M KB")
[ -f "$DIR/mid.jsonl" ] || "$F" generate --agents 10000 --contributions 1000000 --seed 7 \
  --output "$DIR/mid.jsonl" >/dev/null
rm -f "$DIR"/replay.db* "$DIR"/snap.db*
# No snapshot from the import, so that the copy starts without one.
echo "import:           $(FAIRSHARE_SNAPSHOT_EVERY=0 "${TIME[@]}" "$F" --book "$DIR/replay.db" import "$DIR/mid.jsonl" 2>&1 >/dev/null)"
cp "$DIR/replay.db" "$DIR/snap.db"
echo "snapshot command: $("${TIME[@]}" "$F" --book "$DIR/snap.db" snapshot 2>&1 >/dev/null)"
echo "snapshot (event, bytes): $(sqlite3 "$DIR/snap.db" 'SELECT seq, sum(length(bytes)) FROM snapshot_pieces GROUP BY seq')"
for round in $(seq "$ROUNDS"); do
  echo "round $round replay:   $("${TIME[@]}" "$F" --book "$DIR/replay.db" balance a000001 2>&1 >/dev/null)"
  echo "round $round snapshot: $("${TIME[@]}" "$F" --book "$DIR/snap.db" balance a000001 2>&1 >/dev/null)"
done
cmp <("$F" --book "$DIR/replay.db" --json balance a000001) \
  <("$F" --book "$DIR/snap.db" --json balance a000001) && echo "balances identical"
echo "verify, no snapshot:  $("${TIME[@]}" "$F" --book "$DIR/replay.db" verify 2>&1 >/dev/null)"
echo "verify, one snapshot: $("${TIME[@]}" "$F" --book "$DIR/snap.db" verify 2>&1 >/dev/null)"
