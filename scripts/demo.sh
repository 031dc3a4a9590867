#!/usr/bin/env bash
# `make demo`: the main job end to end on this machine. Usage: scripts/demo.sh OUT_DIR
#   data -> TFX pipeline (ingest, tf.Transform, BERT pre-training + embeddings, multi-agent
#   training, evaluation, infra validation, push) -> model server -> recommendations.
set -euo pipefail
OUT=${1:-out/demo}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RECSYS="$ROOT/.venv/bin/recsys"
SHARED_ML="$ROOT/../shared/datasets/movielens-100k"
MODEL_NAME=recsys
export TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=2
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
step() { printf '\n== %s  (%s)\n' "$*" "$(date +%H:%M:%S)"; }
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; true; }
trap cleanup EXIT

step "1/4 data"
if [ -f "$SHARED_ML/u.data" ]; then
  echo "Using MovieLens-100K from $SHARED_ML"
  "$RECSYS" data prepare --source movielens-100k --input "$SHARED_ML" --out "$OUT/data"
  USERS=(1 42 500)
elif "$RECSYS" data download movielens-100k --out "$OUT/raw" 2>"$OUT/download.log"; then
  echo "Downloaded MovieLens-100K from GroupLens (checksum verified)"
  "$RECSYS" data prepare --source movielens-100k --input "$OUT/raw/ml-100k" --out "$OUT/data"
  USERS=(1 42 500)
else
  echo "MovieLens-100K not available (no ../shared copy; download failed, see $OUT/download.log):"
  echo "using the synthetic catalogue instead"
  "$RECSYS" data synth --users 2000 --items 1500 --interactions 100000 --out "$OUT/data"
  USERS=(u1 u42 u500)
fi

step "2/4 TFX pipeline with LocalDagRunner + SQLite ML Metadata"
"$RECSYS" pipeline run --data "$OUT/data" --pipeline-root "$OUT/pipeline" --serving-dir "$OUT/serving" \
  --model-name "$MODEL_NAME"

step "3/4 model server (TF Serving's gRPC + REST APIs) on $OUT/serving/$MODEL_NAME"
GRPC_PORT=$("$ROOT/.venv/bin/python" -c "import portpicker; print(portpicker.pick_unused_port())")
REST_PORT=$("$ROOT/.venv/bin/python" -c "import portpicker; print(portpicker.pick_unused_port())")
"$RECSYS" serve --model_base_path "$OUT/serving/$MODEL_NAME" --model_name "$MODEL_NAME" \
  --port "$GRPC_PORT" --rest_api_port "$REST_PORT" --request_log_dir "$OUT/request_logs" \
  >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
status() { "$ROOT/.venv/bin/python" -c "import sys, urllib.request as u; print(u.urlopen(sys.argv[1], timeout=2).read().decode())" \
  "http://127.0.0.1:$REST_PORT/v1/models/$MODEL_NAME" 2>/dev/null; }
for _ in $(seq 1 120); do
  status | grep -q AVAILABLE && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited; see $OUT/server.log"; tail -20 "$OUT/server.log"; exit 1; }
  sleep 1
done
status

step "4/4 recommendations over gRPC (titles, scores, per-agent attribution)"
for user in "${USERS[@]}"; do
  "$RECSYS" recommend --server "127.0.0.1:$GRPC_PORT" --model-name "$MODEL_NAME" --user "$user" --k 10 \
    --items-csv "$OUT/data/items.csv"
done

step "done"
echo "canonical data:     $OUT/data"
echo "pipeline root:      $OUT/pipeline (ML Metadata: $OUT/pipeline/metadata.sqlite)"
echo "served model:       $OUT/serving/$MODEL_NAME/<version>/"
# The newest artifact has the highest execution id: sort numerically (a re-run's 15 after 6).
newest() { ls -d "$@" 2>/dev/null | sort -V | tail -n 1; }
echo "metrics:            $(newest "$OUT"/pipeline/evaluator/evaluation/*/metrics.json)"
echo "model card:         $(newest "$OUT"/pipeline/trainer/model/*/model_card.json)"
echo "TensorBoard logs:   tensorboard --logdir $(newest "$OUT"/pipeline/trainer/model_run/*/)"
echo "quarantined rows:   $(cat "$OUT"/pipeline/example_gen/quarantine/*/quarantine-*.jsonl 2>/dev/null | wc -l)"
echo "request log:        $OUT/request_logs"
echo
echo "Web UI (runs, agents, the recommendation explorer, continuous training). The demo's server"
echo "stopped with the demo; start it again, then the page, and open http://127.0.0.1:8765/ :"
echo "  $RECSYS serve --model_base_path $OUT/serving/$MODEL_NAME --model_name $MODEL_NAME \\"
echo "      --port $GRPC_PORT --rest_api_port $REST_PORT --request_log_dir $OUT/request_logs &"
echo "  $RECSYS ui --pipeline-root $OUT/pipeline --server 127.0.0.1:$GRPC_PORT \\"
echo "      --model-name $MODEL_NAME"
