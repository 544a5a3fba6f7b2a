#!/usr/bin/env bash
# `make run`: set up, train when the data/config/domain changed, seed the demo store, then run
# the action server and the Rasa server together. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" SQLALCHEMY_SILENCE_UBER_WARNING=1
RASA_PORT=${RASA_PORT:-5005}
mkdir -p var models

# Rasa fingerprints data, config and domain: with nothing changed this reuses the model.
.venv/bin/rasa train --fixed-model-name current --quiet
.venv/bin/python -m assistant.store.seed

auth=()
[ -n "${RASA_AUTH_TOKEN:-}" ] && auth=(--auth-token "$RASA_AUTH_TOKEN")
pids=()
cleanup() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup INT TERM EXIT

.venv/bin/python -m assistant.action_server --actions actions --port 5055 &
pids+=($!)
.venv/bin/rasa run --enable-api "${auth[@]}" --cors "*" --port "$RASA_PORT" \
  --model models/current.tar.gz --endpoints endpoints.yml --credentials credentials.yml &
pids+=($!)

until curl -sf "http://localhost:$RASA_PORT/" >/dev/null; do
  kill -0 "${pids[@]}" 2>/dev/null || { echo "a server failed to start" >&2; exit 1; }
  sleep 1
done
cat <<MSG

  The assistant is running (database: ${DATABASE_URL:-var/store.db}, locks: ${REDIS_URL:-in memory}).
  REST webhook:  curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"me","message":"where is my order 48213?"}'
  Web chat page: http://localhost:$RASA_PORT/webchat
  Terminal chat: .venv/bin/rasa shell -p 5006 --endpoints endpoints.yml   (in another terminal)
  Health:        http://localhost:$RASA_PORT/health/ready  (and /health/live; action server: :5055/health/ready)
  Press Ctrl-C to stop.

MSG
wait -n "${pids[@]}"
