"""The end-to-end test stories must measure understanding of new wording: no user turn of
tests/test_stories.yml may appear in the NLU training data (compared after normalising)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterator, List

import yaml

ROOT = Path(__file__).resolve().parents[2]
ENTITY = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def normalised(text: str) -> str:
    """Entity markup removed, case folded, punctuation dropped, spacing collapsed."""
    plain = ENTITY.sub(r"\1", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split())


def training_examples() -> Dict[str, str]:
    """Normalised NLU training example -> the file it is in."""
    found: Dict[str, str] = {}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text()).get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    found[normalised(line.strip()[2:])] = path.name
    return found


def story_turns() -> Iterator[str]:
    stories = yaml.safe_load((ROOT / "tests" / "test_stories.yml").read_text())["stories"]
    for story in stories:
        for step in story["steps"]:
            if "user" in step:
                yield str(step["user"]).strip()


def test_the_test_stories_have_user_turns() -> None:
    assert len(list(story_turns())) > 50


def test_normalising_ignores_markup_case_and_punctuation() -> None:
    assert normalised("[ORD-48213](order_id)!") == normalised("ord 48213")
    assert normalised('I need my [phone]{"entity": "account_field", "value": "phone"}') == "i need my phone"


def test_no_story_user_turn_appears_in_the_training_data() -> None:
    examples = training_examples()
    seen: List[str] = [
        f"{turn!r} (in {examples[normalised(turn)]})"
        for turn in story_turns()
        if normalised(turn) in examples
    ]
    assert not seen, "test story turns found in data/nlu: " + "; ".join(seen)
