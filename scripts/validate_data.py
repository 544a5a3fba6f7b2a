"""``rasa data validate``, made strict: any warning fails, except two that Rasa 3.6 raises
for correct projects, and those are checked here instead.

1. "duplicated intents ... across multiple domain files: faq": Rasa merges the retrieval
   intents of the NLU data into the domain and warns that ``faq`` is listed twice. Leaving
   ``faq`` out of domain.yml instead raises "intent 'faq' not part of the domain".
2. "The utterance '...' is not used in any story or rule": form prompts are used by their
   forms, not by stories. We accept it only when a form really asks for that slot (listed in
   the form, or a slot the form's validator adds, i.e. mapped with a ``requested_slot``
   condition), for ``utter_ask_rephrase``, which the two-stage fallback uses, and for
   responses a custom action utters (``response="utter_..."`` in actions/).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
UNUSED = re.compile(r"The utterance '([\w/]+)' is not used in any story or rule")
RETRIEVAL_DUPLICATE = "The following duplicated intents have been found across multiple domain files: faq"


def form_prompts(domain: dict) -> set:
    prompts = {"utter_ask_rephrase"}
    for form, spec in (domain.get("forms") or {}).items():
        for slot in spec.get("required_slots", []):
            prompts |= {f"utter_ask_{slot}", f"utter_ask_{form}_{slot}"}
    for slot, spec in (domain.get("slots") or {}).items():
        for mapping in spec.get("mappings") or []:
            for condition in mapping.get("conditions") or []:
                if condition.get("requested_slot") == slot:
                    prompts.add(f"utter_ask_{slot}")
    return prompts


def uttered_by_actions() -> set:
    pattern = re.compile(r"""response=["'](utter_\w+)["']""")
    return {name for path in (ROOT / "actions").glob("*.py") for name in pattern.findall(path.read_text())}


def main() -> int:
    result = subprocess.run(
        [str(ROOT / ".venv/bin/rasa"), "data", "validate", "--fail-on-warnings"],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "NORTHWIND_ALL_WARNINGS": "1"},  # every warning, to judge them here
    )  # fmt: skip
    output = result.stdout + result.stderr
    allowed = form_prompts(yaml.safe_load((ROOT / "domain.yml").read_text())) | uttered_by_actions()
    problems = []
    for block in re.split(r"UserWarning: ", output)[1:]:
        message = block.strip().splitlines()[0] if block.strip() else ""
        unused = UNUSED.search(message)
        if message.startswith(RETRIEVAL_DUPLICATE) or (unused and unused.group(1) in allowed):
            continue
        problems.append(block.strip().split("\n  More info")[0])
    if result.returncode != 0 or problems:
        print(output[-4000:])
        print("\n".join(["rasa data validate: problems found:"] + [f"- {p}" for p in problems]))
        return 1
    print("rasa data validate: no warnings (beyond the two Rasa 3.6 false positives it checks itself)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
