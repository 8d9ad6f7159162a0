"""Input checks shared by the dynamic providers' `check` (pure: it also runs in `pulumi preview`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.dynamic import CheckFailure


def required_strings(news: Mapping[str, Any], keys: Iterable[str]) -> list[CheckFailure]:
    """A failure, naming the input and its value, for each of `keys` that is not a non-empty string."""
    return [
        CheckFailure(key, f"{key}: {news.get(key)!r} must be a non-empty string")
        for key in keys
        if not isinstance(news.get(key), str) or not news.get(key)
    ]
