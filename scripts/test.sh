#!/usr/bin/env bash
# `make test`: set up, validate the training data, train (skipped when nothing changed),
# run pytest (unit and integration, against the machine's PostgreSQL and Redis), then
# `rasa test` on the end-to-end test stories.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

echo "== rasa data validate"
.venv/bin/python scripts/validate_data.py

echo "== rasa train (skipped when data, config and domain are unchanged)"
started=$SECONDS
.venv/bin/rasa train --fixed-model-name current
echo "   model ready in $((SECONDS - started)) s"

echo "== pytest"
.venv/bin/python -m pytest "$@"

echo "== rasa test (end-to-end test stories)"
# --e2e: every user turn is parsed by the NLU model and must get the story's intent and
# entities (the turns are paraphrases that are not in data/nlu, tests/nlu checks that).
rm -rf results
.venv/bin/rasa test core --model models/current.tar.gz --stories tests/test_stories.yml \
  --e2e --fail-on-prediction-errors --out results --quiet
echo "rasa test: all test stories passed ($(grep -c -- '- story:' tests/test_stories.yml) stories)"
