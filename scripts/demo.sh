#!/usr/bin/env bash
# `make demo`: the main job end to end on this machine. Usage: scripts/demo.sh OUT_DIR
set -euo pipefail
OUT=${1:-out/demo}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RECSYS="$ROOT/.venv/bin/recsys"
SHARED_ML="$ROOT/../shared/datasets/movielens-100k"
export TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=2
mkdir -p "$OUT"
step() { printf '\n== %s\n' "$*"; }

step "1/2 data"
if [ -f "$SHARED_ML/u.data" ]; then
  echo "Using MovieLens-100K from $SHARED_ML"
  "$RECSYS" data prepare --source movielens-100k --input "$SHARED_ML" --out "$OUT/data"
elif "$RECSYS" data download movielens-100k --out "$OUT/raw" 2>"$OUT/download.log"; then
  echo "Downloaded MovieLens-100K from GroupLens"
  "$RECSYS" data prepare --source movielens-100k --input "$(ls -d "$OUT"/raw/*/ | head -n 1)" --out "$OUT/data"
else
  echo "MovieLens-100K not available (no ../shared copy, download failed: see $OUT/download.log);"
  echo "using the synthetic catalogue instead"
  "$RECSYS" data synth --users 2000 --items 1500 --interactions 100000 --out "$OUT/data"
fi

step "2/2 pipeline (example_gen -> transform) with LocalDagRunner + SQLite ML Metadata"
"$RECSYS" pipeline run --data "$OUT/data" --pipeline-root "$OUT/pipeline"

step "done"
echo "canonical data:   $OUT/data"
echo "pipeline root:    $OUT/pipeline (ML Metadata: $OUT/pipeline/metadata.sqlite)"
echo "quarantined rows: $(cat "$OUT"/pipeline/example_gen/quarantine/*/quarantine-*.jsonl 2>/dev/null | wc -l)"
