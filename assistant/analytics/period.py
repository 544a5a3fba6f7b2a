"""The period an analytics answer covers: whole local days ``date_from``..``date_to`` (both
included) in an IANA time zone, as UTC instants for the SQL filters, and the zone's UTC offsets
over the period (its daylight-saving changes) so that SQL can put each moment into its local
day or hour with plain arithmetic, the same on SQLite (no time zone database) and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cached_property
from typing import List, Optional, Tuple
from zoneinfo import ZoneInfo

GRANULARITIES = ("day", "hour")
MAX_DAYS = {"day": 366, "hour": 31}
DEFAULT_DAYS = 30
UTC = timezone.utc


class PeriodError(ValueError):
    """A range or time zone that cannot be used; ``field`` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date
    zone: str
    granularity: str = "day"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def start(self) -> datetime:
        """The first moment, an aware UTC datetime."""
        return _local_midnight(self.first_day, self.tz)

    @property
    def end(self) -> datetime:
        """The moment after the last (exclusive), an aware UTC datetime."""
        return _local_midnight(self.last_day + timedelta(days=1), self.tz)

    @property
    def start_naive(self) -> datetime:
        """``start`` as the naive UTC the store's DateTime columns hold."""
        return self.start.replace(tzinfo=None)

    @property
    def end_naive(self) -> datetime:
        return self.end.replace(tzinfo=None)

    @property
    def bucket_seconds(self) -> int:
        return 86400 if self.granularity == "day" else 3600

    def offsets(self) -> List[Tuple[float, int]]:
        """``[(from_epoch, utc_offset_seconds), ...]``: the zone's offset from each moment on,
        the first entry from the period's start (changes found day by day, then to the second;
        a zone changes its offset at most once a day)."""
        return list(self._offsets)

    @cached_property
    def _offsets(self) -> Tuple[Tuple[float, int], ...]:
        tz, moment, end = self.tz, self.start, self.end
        found = [(moment.timestamp(), _offset(moment, tz))]
        while moment < end:
            step = min(moment + timedelta(days=1), end)
            if _offset(step, tz) != found[-1][1]:
                change = _first_change(moment, step, tz)
                found.append((change.timestamp(), _offset(change, tz)))
            moment = step
        return tuple(found)

    def buckets(self) -> List[str]:
        """Every local day (``2026-11-26``) or hour (``2026-11-26T14:00``) of the period, in
        order; an hour a clock change repeats is one bucket, one it skips is absent."""
        if self.granularity == "day":
            return [
                (self.first_day + timedelta(days=i)).isoformat()
                for i in range((self.last_day - self.first_day).days + 1)
            ]
        labels: List[str] = []
        moment = self.start
        while moment < self.end:
            label = self.label_of(moment)
            if not labels or labels[-1] != label:
                labels.append(label)
            moment += timedelta(hours=1)
        return labels

    def label_of(self, moment: datetime) -> str:
        local = moment.astimezone(self.tz)
        return local.strftime("%Y-%m-%d") if self.granularity == "day" else local.strftime("%Y-%m-%dT%H:00")

    def label_of_index(self, index: int) -> str:
        """The label of SQL's bucket number (local seconds since 1970 // bucket seconds)."""
        local = datetime(1970, 1, 1) + timedelta(seconds=index * self.bucket_seconds)
        return local.strftime("%Y-%m-%d") if self.granularity == "day" else local.strftime("%Y-%m-%dT%H:00")

    def describe(self) -> dict:
        return {"start": self.first_day.isoformat(), "end": self.last_day.isoformat(), "time_zone": self.zone,
                "granularity": self.granularity, "start_utc": _iso(self.start), "end_utc": _iso(self.end)}  # fmt: skip


def make_period(
    date_from: Optional[date],
    date_to: Optional[date],
    zone: Optional[str] = None,
    granularity: Optional[str] = None,
    today: Optional[date] = None,
) -> Period:
    """The period asked for; without dates the last 30 days up to today in ``zone``."""
    zone = zone or "UTC"
    tz = _zone(zone)
    granularity = granularity or "day"
    if granularity not in GRANULARITIES:
        raise PeriodError("granularity", "must be day or hour")
    last = date_to or today or datetime.now(tz).date()
    first = date_from or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise PeriodError("date_from", "must not be after date_to")
    if (last - first).days + 1 > MAX_DAYS[granularity]:
        raise PeriodError("date_to", f"at most {MAX_DAYS[granularity]} days by {granularity}")
    if first.year < 1971 or last.year > 9998:
        raise PeriodError("date_from", "must be between 1971 and 9998")
    return Period(first, last, zone, granularity)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError, OSError for odd names
        raise PeriodError("tz", "must be an IANA time zone such as Europe/Berlin") from exc


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first moment of ``day`` in ``tz`` (a zone whose clocks skip midnight starts later)."""
    naive = datetime(day.year, day.month, day.day)
    for minutes in range(0, 24 * 60, 30):
        local = (naive + timedelta(minutes=minutes)).replace(tzinfo=tz)
        utc = local.astimezone(UTC)
        if utc.astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None):
            return utc
    return naive.replace(tzinfo=tz).astimezone(UTC)


def _offset(moment: datetime, tz: ZoneInfo) -> int:
    offset = moment.astimezone(tz).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _first_change(low: datetime, high: datetime, tz: ZoneInfo) -> datetime:
    """The first second in (low, high] whose offset differs from low's."""
    before = _offset(low, tz)
    while (high - low) > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _offset(middle, tz) == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
