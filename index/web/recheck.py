"""When a recent page is asked for again, though its feed entry is unchanged: outlets correct pages
without touching their feeds. A page is rechecked at every round in its first hour, then at
intervals of a sixth of its age (every 4 hours at one day old), until it is NEWSBOT_RECHECK_DAYS
old: at most one conditional request per page per round, fewer as it ages."""

from datetime import UTC, datetime, time

FIRST_HOUR = 3600
AGE_SHARE = 1 / 6


def recheck_due(published: str, last_checked: float, now: float, days: float) -> bool:
    if days <= 0 or not published:
        return False
    moment = _moment(published)
    if moment is None:
        return False
    age = max(0.0, now - min(moment, now))
    if age > days * 86400:
        return False
    interval = 0.0 if age < FIRST_HOUR else age * AGE_SHARE
    return now - last_checked >= interval


def _moment(published: str) -> float | None:
    """Epoch seconds; a date without a time counts as the end of that day, since the hour is unknown."""
    try:
        parsed = datetime.fromisoformat(published)
    except ValueError:
        return None
    if len(published) <= 10:
        parsed = datetime.combine(parsed.date(), time(23, 59, 59))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
