"""Help-centre articles (Markdown in ``data/knowledge/``) and their chunks.

An article is ``# Title`` followed by ``## Section`` blocks; each section is one chunk (long
sections are split at about ``MAX_WORDS`` words, on sentence ends). A chunk that carries
instructions to the assistant (:func:`assistant.knowledge.guard.is_injection`) is left out of
the index and logged: an article is reference text, never a command.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Tuple

from assistant.knowledge.guard import is_injection
from assistant.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)
KNOWLEDGE_DIR = PROJECT_ROOT / "data" / "knowledge"
HELP_CENTRE_URL = "https://help.northwind.example"
MAX_WORDS = 120


@dataclass(frozen=True)
class Chunk:
    """One searchable passage of an article."""

    id: str  # "<article>#<n>"
    article: str  # the file's stem, e.g. "return-policy"
    title: str
    heading: str
    text: str

    @property
    def url(self) -> str:
        return f"{HELP_CENTRE_URL}/{self.article}"

    @property
    def searchable(self) -> str:
        return f"{self.title}. {self.heading}. {self.text}"


def article_files(directory: Path = KNOWLEDGE_DIR) -> List[Path]:
    return sorted(directory.glob("*.md"))


def fingerprint(files: Iterable[Path]) -> str:
    """A hash of the names and contents: the index is rebuilt when it changes."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def parse_article(name: str, markdown: str) -> Tuple[str, List[Tuple[str, str]]]:
    """(title, [(heading, text)]) of one Markdown article."""
    title, heading = name.replace("-", " ").title(), ""
    sections: List[Tuple[str, str]] = []
    lines: List[str] = []
    for line in markdown.splitlines():
        if line.startswith("# "):
            title = line[2:].strip()
        elif line.startswith("## "):
            sections.append((heading, " ".join(lines)))
            heading, lines = line[3:].strip(), []
        elif line.strip():
            lines.append(line.strip())
    sections.append((heading, " ".join(lines)))
    return title, [(h, t) for h, t in sections if t.strip()]


def _split(text: str) -> List[str]:
    sentences = re.split(r"(?<=[.!?])\s+", text)
    parts: List[str] = []
    current: List[str] = []
    for sentence in sentences:
        if current and len(" ".join(current + [sentence]).split()) > MAX_WORDS:
            parts.append(" ".join(current))
            current = []
        current.append(sentence)
    return parts + [" ".join(current)] if current else parts


def load_chunks(files: Iterable[Path]) -> List[Chunk]:
    """Every chunk of every article, injected instructions left out."""
    chunks: List[Chunk] = []
    for path in files:
        title, sections = parse_article(path.stem, path.read_text(encoding="utf-8"))
        start = len(chunks)
        for heading, text in sections:
            for part in _split(text):
                if is_injection(part):
                    logger.warning("knowledge: left out a passage of %s that gives instructions", path.name)
                    continue
                chunks.append(Chunk(f"{path.stem}#{len(chunks) - start}", path.stem, title, heading, part))
    return chunks
