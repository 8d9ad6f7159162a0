"""Time as the actions record it: UTC, to the second, and ASR's times read as UTC when they carry no zone."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> str:
    """This moment in UTC, as an action's record writes it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def as_utc(value: datetime) -> datetime:
    """`value`, taken as UTC when ASR sent it without a time zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
