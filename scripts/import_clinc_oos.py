"""Writes data/nlu/out_of_scope_clinc150.yml: real out-of-domain questions from CLINC150.

Source: CLINC150 (Larson et al. 2019, "An Evaluation Dataset for Intent Classification and
Out-of-Scope Prediction", EMNLP), https://github.com/clinc/oos-eval, data/data_full.json,
licensed CC BY 3.0 (copy in ../shared/data/clinc150/LICENSE). We take the `oos_train` and
`oos_val` splits (200 questions that fall outside CLINC's 150 intents), lower-case as
published, minus the few that our assistant does handle (EXCLUDED below). `oos_test` is not
taken: benchmarks/nlu_clinc150.py scores on it.

Usage: .venv/bin/python scripts/import_clinc_oos.py [path/to/data_full.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "clinc150" / "data_full.json"
TARGET = ROOT / "data" / "nlu" / "out_of_scope_clinc150.yml"
# In our domain (billing address, a person from customer service, our headphones) or a
# plausible in-form reply ("am kind of busy now"): not out of scope for this assistant.
EXCLUDED = {
    "how do i change my billing address",
    "i need to speak to customer service regarding my flight",
    "am kind of busy now",
    "are over the ear headphones better than in ear headphones",
    "what brand of earphones is the best reviewed of 2019",
}
HEADER = """\
# Out-of-domain questions from CLINC150 (Larson et al. 2019), written by
# scripts/import_clinc_oos.py; do not edit by hand.
# Source: https://github.com/clinc/oos-eval data/data_full.json, splits oos_train and
# oos_val (200 questions), minus 5 that this assistant handles (see the script).
# Licence: Creative Commons Attribution 3.0 Unported (CC BY 3.0); Stefan Larson et al.,
# "An Evaluation Dataset for Intent Classification and Out-of-Scope Prediction", EMNLP 2019.
# Texts are unchanged (lower case, original spelling).
"""


def select(source: Path) -> List[str]:
    """The oos_train and oos_val texts, deduplicated, minus the excluded ones."""
    data = json.loads(source.read_text())
    texts = [text for split in ("oos_train", "oos_val") for text, _ in data[split]]
    return [t for t in dict.fromkeys(texts) if t not in EXCLUDED]


def main() -> int:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    texts = select(source)
    lines = [HEADER, 'version: "3.1"', "", "nlu:", "- intent: out_of_scope", "  examples: |"]
    lines += [f"    - {t}" for t in texts if "[" not in t]  # '[' would start an entity
    TARGET.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(texts)} examples to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
