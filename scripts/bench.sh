#!/usr/bin/env bash
# `make bench`: every benchmark under bench/, results under bench/results/.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY="$ROOT/.venv/bin/python"
export TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=2
mkdir -p "$ROOT/bench/results"
status=0
for script in "$ROOT"/bench/bench_*.py; do
  [ -e "$script" ] || continue
  echo "== $(basename "$script")"
  (cd "$ROOT" && "$PY" "$script") || { echo "FAILED: $script"; status=1; }
done
if [ -x "$ROOT/.venv/bin/recsys" ] && [ -f "$ROOT/../shared/datasets/movielens-100k/u.data" ]; then
  echo "== quality (MovieLens-100K)"
  (cd "$ROOT" && .venv/bin/recsys bench quality --data ../shared/datasets/movielens-100k \
      --out bench/results/quality.json) || status=1
fi
exit $status
