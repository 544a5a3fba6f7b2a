"""Shared helpers of the benchmark scripts in this folder (not a benchmark itself).

Call ``prepare_environment()`` before importing anything from Rasa: it switches telemetry off,
silences TensorFlow's C++ logging and points Rasa's training cache at a private temporary
directory with caching disabled, so that benchmark runs neither reuse cached components from
other trainings (which would make training times meaningless) nor write into the project's
``.rasa/cache``.
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"


def prepare_environment() -> None:
    """Environment for in-process Rasa training; must run before ``import rasa``."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["RASA_MAX_CACHE_SIZE"] = "0"
    cache_dir = tempfile.mkdtemp(prefix="bench-rasa-cache-")
    atexit.register(shutil.rmtree, cache_dir, ignore_errors=True)
    os.environ["RASA_CACHE_DIRECTORY"] = cache_dir
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message="Creating an ndarray from ragged nested sequences")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("rasa", "tensorflow", "absl", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:  # Rasa 3.6 logs parse results through structlog at DEBUG unless told otherwise
        from rasa.utils.log_utils import configure_structlog

        configure_structlog(logging.WARNING)
    except ImportError:  # turn_latency.py does not need Rasa in-process
        pass


def environment_info() -> Dict[str, Any]:
    """Versions and machine facts recorded with every result."""
    info: Dict[str, Any] = {
        "timestamp_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "argv": sys.argv,
    }
    try:
        import rasa

        info["rasa"] = rasa.__version__
    except ImportError:  # turn_latency.py may run without importing Rasa
        pass
    return info


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; 0.0 for a single value)."""
    if not values:
        return math.nan, math.nan
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.fmean(values), std


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation, like numpy's default."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(seconds: Sequence[float]) -> Dict[str, float]:
    """p50/p95/p99/mean/max of latencies given in seconds, reported in milliseconds."""
    ms = [s * 1000.0 for s in seconds]
    return {
        "count": len(ms),
        "mean_ms": statistics.fmean(ms) if ms else math.nan,
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms) if ms else math.nan,
    }


def print_table(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Prints a plain-text table with left-aligned first column and right-aligned others."""
    cells = [[str(h) for h in header]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: List[str]) -> str:
        parts = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=False)]
        return "  ".join(parts)

    print(f"\n{title}")
    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.2f}"
    return str(value)


def write_json(data: Mapping[str, Any], path: Optional[Path], default_name: str) -> Path:
    """Writes ``data`` as pretty JSON to ``path`` (default: benchmarks/out/<default_name>)."""
    target = Path(path) if path else OUT_DIR / default_name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    return target


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds``."""

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds = time.perf_counter() - self.start
