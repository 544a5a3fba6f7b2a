"""Opening hours of the support team: ``SUPPORT_HOURS`` such as ``Mon-Fri 08:00-20:00, Sat
09:00-17:00`` (or ``always``) in ``SUPPORT_TIMEZONE``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timezone
from typing import Dict, List, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(r"^(\w{3})(?:-(\w{3}))?\s+(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$")


class HoursError(ValueError):
    """Opening hours that cannot be read."""


@dataclass(frozen=True)
class OpeningHours:
    zone: ZoneInfo
    always: bool = False
    windows: Dict[int, List[Tuple[time, time]]] = field(default_factory=dict)
    text: str = ""

    def is_open(self, now: datetime) -> bool:
        """Whether the team works at ``now`` (naive datetimes are UTC)."""
        if self.always:
            return True
        local = (now if now.tzinfo else now.replace(tzinfo=timezone.utc)).astimezone(self.zone)
        return any(start <= local.time() < end for start, end in self.windows.get(local.weekday(), []))


def parse_hours(text: str, zone_name: str) -> OpeningHours:
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise HoursError(f"unknown time zone {zone_name!r}") from exc
    if text.strip().lower() in ("always", "24/7"):
        return OpeningHours(zone, always=True, text="around the clock")
    windows: Dict[int, List[Tuple[time, time]]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _PART.match(part)
        if not match:
            raise HoursError(f"cannot read {part!r} (expected e.g. 'Mon-Fri 08:00-20:00')")
        first, last, start, end = match.groups()
        for day in _days(first, last or first):
            windows.setdefault(day, []).append((_time(start), _time(end)))
    if not windows:
        raise HoursError("no opening hours given (use 'always' for around the clock)")
    return OpeningHours(zone, windows=windows, text=f"{text.strip()} ({zone_name})")


def _days(first: str, last: str) -> range:
    try:
        start, end = DAYS.index(first.lower()), DAYS.index(last.lower())
    except ValueError as exc:
        raise HoursError(f"unknown day in {first}-{last}: use Mon, Tue ... Sun") from exc
    if end < start:
        raise HoursError(f"{first}-{last} runs backwards")
    return range(start, end + 1)


def _time(text: str) -> time:
    hours, minutes = (int(x) for x in text.split(":"))
    if hours == 24 and minutes == 0:
        return time(23, 59, 59)
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise HoursError(f"{text} is not a time of day")
    return time(hours, minutes)
