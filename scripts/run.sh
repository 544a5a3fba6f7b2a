#!/usr/bin/env bash
# `make run`: set up, train when the data/config/domain changed, migrate and seed the demo store,
# then run the action server, the Rasa server, the admin API and (without SMTP_URL) a demo
# mailbox together. Ctrl-C stops them all.
#
# Safe by default: every server listens on 127.0.0.1 (RASA_INTERFACE / ACTION_SERVER_HOST to
# change that), Rasa's HTTP API always requires a token (RASA_AUTH_TOKEN, or one generated once
# into var/rasa-auth-token), and CORS is off unless RASA_CORS names the allowed origins.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export ASSISTANT_VAR_DIR=${ASSISTANT_VAR_DIR:-$PWD/var}
VAR=$ASSISTANT_VAR_DIR
RASA_PORT=${RASA_PORT:-5005}
RASA_INTERFACE=${RASA_INTERFACE:-127.0.0.1}
ACTION_SERVER_HOST=${ACTION_SERVER_HOST:-127.0.0.1}
ACTION_SERVER_PORT=${ACTION_SERVER_PORT:-5055}
DEMO_SMTP_PORT=${DEMO_SMTP_PORT:-8025}
ADMIN_API_HOST=${ADMIN_API_HOST:-127.0.0.1}
ADMIN_API_PORT=${ADMIN_API_PORT:-8080}
mkdir -p "$VAR" models

# A secret kept in $VAR (readable by its owner only) unless the environment gives one.
secret_file() {
  local file="$VAR/$1"
  if [ ! -s "$file" ]; then
    (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' > "$file")
  fi
  cat "$file"
}
export RASA_AUTH_TOKEN=${RASA_AUTH_TOKEN:-$(secret_file rasa-auth-token)}
export WEBCHAT_JWT_SECRET=${WEBCHAT_JWT_SECRET:-$(secret_file webchat-jwt.secret)}

echo "== Training (skipped when data, config and domain are unchanged)"
started=$SECONDS
.venv/bin/rasa train --fixed-model-name current
echo "   model ready in $((SECONDS - started)) s"
echo "== Database schema (Alembic migrations, migrations/)"
.venv/bin/python -m assistant.store.migrate upgrade
.venv/bin/python -m assistant.store.seed
# The demo's first admin: created on the first run with a generated password kept in $VAR.
admin_login=$(.venv/bin/python -m admin_api.first_admin)

pids=()
cleanup() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup INT TERM EXIT

if [ -z "${SMTP_URL:-}" ]; then
  # No mail server configured: a local one prints every e-mail here (codes, links, labels).
  .venv/bin/python scripts/demo_mailbox.py --port "$DEMO_SMTP_PORT" --mbox "$VAR/mailbox.mbox" &
  pids+=($!)
  export SMTP_URL="smtp://127.0.0.1:$DEMO_SMTP_PORT"
fi

# The Rasa server reaches the action server through this copy of endpoints.yml.
sed "s#http://localhost:5055/webhook#http://127.0.0.1:$ACTION_SERVER_PORT/webhook#" endpoints.yml > "$VAR/endpoints.yml"
SANIC_HOST=$ACTION_SERVER_HOST .venv/bin/python -m assistant.action_server --actions actions --port "$ACTION_SERVER_PORT" &
pids+=($!)
cors=()
[ -n "${RASA_CORS:-}" ] && cors=(--cors "$RASA_CORS")
.venv/bin/rasa run --enable-api --auth-token "$RASA_AUTH_TOKEN" "${cors[@]}" \
  --interface "$RASA_INTERFACE" --port "$RASA_PORT" --model models/current.tar.gz \
  --endpoints "$VAR/endpoints.yml" --credentials credentials.yml &
pids+=($!)
# The admin API, on the same database and tracker store; it reaches the Rasa server over HTTP.
ADMIN_API_HOST=$ADMIN_API_HOST ADMIN_API_PORT=$ADMIN_API_PORT RASA_URL="http://127.0.0.1:$RASA_PORT" \
  .venv/bin/python -m admin_api &
pids+=($!)

until curl -sf "http://127.0.0.1:$RASA_PORT/" >/dev/null && curl -sf "http://127.0.0.1:$ADMIN_API_PORT/api/health/live" >/dev/null; do
  kill -0 "${pids[@]}" 2>/dev/null || { echo "a server failed to start" >&2; exit 1; }
  sleep 1
done
demo_login=$(.venv/bin/python scripts/demo_login.py --customer 1)
cat <<MSG

  The assistant is running (database: ${DATABASE_URL:-$VAR/store.db}, locks: ${REDIS_URL:-in memory}).
  Web chat page:  http://localhost:$RASA_PORT/webchat
  ... signed in as the demo customer Jane Doe: http://localhost:$RASA_PORT/webchat#token=$demo_login
  REST webhook:   curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"me","message":"where is my order 48213?"}'
  Terminal chat:  .venv/bin/rasa shell -p 5006 --endpoints $VAR/endpoints.yml   (in another terminal)
  Rasa HTTP API:  needs ?token=\$RASA_AUTH_TOKEN (in $VAR/rasa-auth-token unless you set it)
  E-mails:        ${SMTP_URL} $( [ "${SMTP_URL}" = "smtp://127.0.0.1:$DEMO_SMTP_PORT" ] && echo "(the demo mailbox: they are printed here)")
  Admin API:      http://localhost:$ADMIN_API_PORT/api/docs   (OpenAPI: /api/openapi.json)
  First admin:    $admin_login   (sign in: POST /api/auth/login; kept in $VAR/admin-credentials)
  Health:         http://localhost:$RASA_PORT/health/ready and /health/live (action server: :$ACTION_SERVER_PORT/health/ready, admin API: :$ADMIN_API_PORT/api/health/ready)
  Press Ctrl-C to stop.

MSG
wait -n "${pids[@]}"
