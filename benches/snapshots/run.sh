#!/usr/bin/env bash
# Snapshots (issue 17): open + `balance a000001` of the 1,000,000-contribution book by full
# replay (imported with FAIRSHARE_SNAPSHOT_EVERY=0: no snapshot) and from the snapshot a
# default import ends with, interleaved; the two imports; verify of each.
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
echo "import, no snapshot:";   FAIRSHARE_SNAPSHOT_EVERY=0 "${TIME[@]}" "$F" --book "$DIR/replay.db" import "$DIR/mid.jsonl" >/dev/null
echo "import + snapshot:";     "${TIME[@]}" "$F" --book "$DIR/snap.db" import "$DIR/mid.jsonl" >/dev/null
echo "snapshot bytes: $(sqlite3 "$DIR/snap.db" 'SELECT seq, length(bytes) FROM snapshots' 2>/dev/null || echo '?')"
for round in $(seq "$ROUNDS"); do
  echo "round $round replay:   $("${TIME[@]}" "$F" --book "$DIR/replay.db" balance a000001 2>&1 >/dev/null)"
  echo "round $round snapshot: $("${TIME[@]}" "$F" --book "$DIR/snap.db" balance a000001 2>&1 >/dev/null)"
done
cmp <("$F" --book "$DIR/replay.db" --json balance a000001) <("$F" --book "$DIR/snap.db" --json balance a000001) \
  && echo "balances identical"
echo "verify, no snapshot:   $("${TIME[@]}" "$F" --book "$DIR/replay.db" verify 2>&1 >/dev/null)"
echo "verify, one snapshot:  $("${TIME[@]}" "$F" --book "$DIR/snap.db" verify 2>&1 >/dev/null)"
echo "snapshot command:      $("${TIME[@]}" "$F" --book "$DIR/replay.db" snapshot 2>&1 >/dev/null)"
