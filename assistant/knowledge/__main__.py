"""``python -m assistant.knowledge build`` builds the index (embeddings cached under
``var/knowledge``); ``python -m assistant.knowledge search "question"`` shows what it finds."""

from __future__ import annotations

import argparse
import time
from typing import Optional, Sequence

from assistant.knowledge import build_knowledge_base


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m assistant.knowledge")
    parser.add_argument("command", choices=("build", "search"))
    parser.add_argument("query", nargs="?", default="")
    parser.add_argument("--limit", type=int, default=5)
    args = parser.parse_args(argv)
    kb = build_knowledge_base()
    started = time.monotonic()
    index = kb.index()
    print(f"{len(index.chunks)} passages, version {index.version[:12]}, {time.monotonic() - started:.2f} s")
    if args.command == "search":
        for hit in kb.search(args.query, args.limit):
            print(f"{hit.relevance:.3f}  {hit.chunk.id:32}  {hit.chunk.text[:80]}")


if __name__ == "__main__":
    main()
