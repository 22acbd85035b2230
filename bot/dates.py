"""Dates as people read them, for every front end and for the prompts."""

from datetime import date


def human_date(published: str) -> str:
    if not published:
        return "undated"
    try:
        day = date.fromisoformat(published[:10])
    except ValueError:
        return published
    return f"{day.day} {day:%B %Y}"
