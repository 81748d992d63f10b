"""Weekly availability in UTC: each member's windows (in their own time zone) on one clock.

A week is 10,080 minutes from Monday 00:00 UTC. Windows are converted on a reference week
(time zones change offset with daylight saving) and compared on 5-minute slots, rounded
inwards so a shared slot is always really shared.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from circles.languages import either
from circles.members.local_time import clock_in

WEEK = 7 * 24 * 60
SLOT = 5
SLOTS = WEEK // SLOT
MIN_OVERLAP = 60  # minutes a week a pair (and a circle) must share
WEEKDAY_SHORT = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))


def week_of(day: date) -> date:
    """The Monday of ``day``'s week: the reference week for time-zone offsets."""
    return day - timedelta(days=day.weekday())


def weekly_utc(windows: Iterable[tuple[int, int, int]], timezone: str,
               monday: date) -> list[tuple[int, int]]:
    """UTC minute-of-week intervals ``[start, end)`` for ``(weekday, start, end)`` windows in
    ``timezone``, as they fall in the week starting ``monday``; a window crossing the end of
    the week is split in two.

    >>> weekly_utc([(0, 18 * 60, 19 * 60)], "Europe/Berlin", date(2026, 1, 5))
    [(1020, 1080)]
    >>> weekly_utc([(0, 0, 120)], "Europe/Berlin", date(2026, 1, 5))  # from Sunday 23:00 UTC
    [(0, 60), (10020, 10080)]
    """
    zone = ZoneInfo(timezone)
    origin = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    intervals: list[tuple[int, int]] = []
    for weekday, start, end in windows:
        local = datetime(monday.year, monday.month, monday.day, tzinfo=zone) + timedelta(
            days=weekday, minutes=start)
        offset = int((local.astimezone(UTC) - origin).total_seconds() // 60) % WEEK
        stop = offset + (end - start)
        if stop <= WEEK:
            intervals.append((offset, stop))
        else:
            intervals.extend([(0, stop - WEEK), (offset, WEEK)])
    return sorted(intervals)


def slot_mask(intervals: Iterable[tuple[int, int]]) -> np.ndarray:
    """Boolean 5-minute slots of the week covered by the intervals (rounded inwards)."""
    mask = np.zeros(SLOTS, dtype=bool)
    for start, end in intervals:
        first, last = -(-start // SLOT), end // SLOT
        if first < last:
            mask[first:last] = True
    return mask


def always() -> np.ndarray:
    """The mask of a member who gave no windows: unknown is not unavailable."""
    return np.ones(SLOTS, dtype=bool)


def overlap_minutes(masks: np.ndarray) -> np.ndarray:
    """Pairwise shared minutes a week for an n × SLOTS mask matrix."""
    as_float = masks.astype(np.float32)
    return (as_float @ as_float.T) * SLOT


def meeting_starts(mask: np.ndarray, minutes: int = MIN_OVERLAP) -> np.ndarray:
    """The slots at which a meeting of ``minutes`` could start inside ``mask`` (the week wraps).

    >>> mask = slot_mask([(60, 180)])  # Monday 01:00–03:00 UTC
    >>> starts = meeting_starts(mask)
    >>> int(starts.sum()), int(np.flatnonzero(starts)[0]) * SLOT, int(np.flatnonzero(starts)[-1]) * SLOT
    (13, 60, 120)
    """
    need = -(-minutes // SLOT)
    if mask.all():
        return np.ones(SLOTS, dtype=bool)
    padded = np.concatenate([mask, mask[:need - 1]]).astype(np.int32)
    runs = np.convolve(padded, np.ones(need, dtype=np.int32), mode="valid")
    return np.asarray(runs[:SLOTS] == need)


def describe_common(masks: Iterable[np.ndarray], timezone: str = "UTC",
                    today: date | None = None) -> str:
    """The longest shared window in ``timezone``, its zone named, e.g. "Tue 17:00–18:00
    (UTC)"; "any time" or "" when there is none.

    >>> describe_common([slot_mask([(1440 + 1020, 1440 + 1080)])], "Europe/Berlin",
    ...                 date(2026, 1, 5))
    'Tue 18:00–19:00 (Berlin time)'
    """
    shared = always()
    for mask in masks:
        shared = shared & mask
    if not shared.any():
        return ""
    best, best_len, run_start = 0, 0, None
    for i, on in enumerate([*shared.tolist(), False]):
        if on and run_start is None:
            run_start = i
        elif not on and run_start is not None:
            if i - run_start > best_len:
                best, best_len = run_start, i - run_start
            run_start = None
    if best_len == SLOTS:
        return str(_("any time"))
    window = (best * SLOT, (best + best_len) * SLOT)
    return clock_in(timezone, describe_windows([window], timezone,
                                               week_of(today or date.today())))


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def local_windows(slots: Iterable[tuple[int, int]], length: int, timezone: str, *,
                  slot_zone: str = "Europe/London", monday: date) -> list[tuple[int, int, int]]:
    """Programme slots ``(weekday, start minute)`` set in ``slot_zone`` as ``(weekday, start,
    end)`` windows in a member's own ``timezone`` for the week of ``monday``, split at local
    midnight — how a member in another zone would enter the same sessions.

    >>> local_windows([(1, 12 * 60)], 90, "America/New_York", monday=date(2026, 1, 5))
    [(1, 420, 510)]
    """
    windows: list[tuple[int, int, int]] = []
    for weekday, start in slots:
        begin = datetime.combine(monday, datetime.min.time(), ZoneInfo(slot_zone)) + timedelta(
            days=weekday, minutes=start)
        local = begin.astimezone(ZoneInfo(timezone))
        first, day = local.hour * 60 + local.minute, local.weekday()
        if first + length <= 1440:
            windows.append((day, first, first + length))
        else:
            windows += [(day, first, 1440), ((day + 1) % 7, 0, first + length - 1440)]
    return windows


#: A window is "common" when at least this share of the busiest slot's members are free in it.
COMMON_SHARE = 0.6
COMMON_SHOWN = 3


def busiest_windows(masks: list[np.ndarray], *, minutes: int = MIN_OVERLAP,
                    shown: int = COMMON_SHOWN) -> list[tuple[int, int]]:
    """The weekly windows (UTC minutes ``[start, end)``) when most of the masks are free: runs
    of at least ``minutes`` where the count stays within ``COMMON_SHARE`` of the busiest slot,
    best first (most people × longest), at most ``shown``.

    >>> a = slot_mask([(600, 720)]); b = slot_mask([(630, 750)])
    >>> busiest_windows([a, b, a])
    [(600, 720)]
    """
    if not masks:
        return []
    counts = np.sum(masks, axis=0)
    top = int(counts.max())
    if top < 2:
        return []
    busy = np.concatenate([counts >= max(2, COMMON_SHARE * top), [False]])
    runs: list[tuple[float, int, int]] = []
    start = None
    for i, on in enumerate(busy.tolist()):
        if on and start is None:
            start = i
        elif not on and start is not None:
            if (i - start) * SLOT >= minutes:
                runs.append((float(counts[start:i].min()) * (i - start), start * SLOT, i * SLOT))
            start = None
    runs.sort(key=lambda run: (-run[0], run[1]))
    return sorted((a, b) for _, a, b in runs[:shown])


def describe_windows(intervals: list[tuple[int, int]], timezone: str, monday: date) -> str:
    """UTC week intervals in a member's own zone, days with the same hours together:
    "Tue–Thu 12:00–13:30 or 16:00–17:30" ("" when there are none).

    >>> describe_windows([(1 * 1440 + 720, 1 * 1440 + 810), (2 * 1440 + 720, 2 * 1440 + 810),
    ...                   (2 * 1440 + 960, 2 * 1440 + 1050)], "Europe/London", date(2026, 1, 5))
    'Tue–Wed 12:00–13:30 or Wed 16:00–17:30'
    """
    zone = ZoneInfo(timezone)
    origin = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    by_hours: dict[tuple[int, int], list[int]] = {}
    for start, end in intervals:
        local = (origin + timedelta(minutes=start)).astimezone(zone)
        first = local.hour * 60 + local.minute
        by_hours.setdefault((first, first + end - start), []).append(local.weekday())
    groups: dict[str, list[str]] = {}
    for (first, last), days in sorted(by_hours.items(), key=lambda item: min(item[1])):
        hours = f"{_clock(first % 1440)}–{_clock(last % 1440 if last % 1440 else 1440)}"
        groups.setdefault(_days(sorted(set(days))), []).append(hours)
    return either([f"{days} {either(hours)}" for days, hours in groups.items()])


def _days(days: list[int]) -> str:
    """Weekdays as "Tue–Thu" for a run of days, "Mon, Wed" otherwise."""
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{WEEKDAY_SHORT[days[0]]}–{WEEKDAY_SHORT[days[-1]]}"
    if len(days) == 2 and days[1] == days[0] + 1:
        return f"{WEEKDAY_SHORT[days[0]]}–{WEEKDAY_SHORT[days[1]]}"
    return ", ".join(str(WEEKDAY_SHORT[d]) for d in days)
