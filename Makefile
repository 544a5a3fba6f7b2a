.PHONY: run test setup train seed lint format clean

run:      ## set up, train if needed, seed, and run the assistant on embedded defaults
	bash scripts/run.sh

test:     ## validate data, train, pytest (PostgreSQL + Redis), rasa test on the test stories
	bash scripts/test.sh

setup:    ## create .venv and install the pinned dependencies
	bash scripts/bootstrap.sh

train: setup
	.venv/bin/rasa train --fixed-model-name current

seed: setup
	PYTHONPATH=. .venv/bin/python -m assistant.store.seed

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy assistant actions channels admin_api

format: setup
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

clean:
	rm -rf var results .pytest_cache .mypy_cache .ruff_cache
