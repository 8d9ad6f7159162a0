"""Input checks shared by the dynamic providers' `check` (pure: it also runs in `pulumi preview`).

In preview the engine passes `pulumi.output.Unknown` for every input that comes from a resource not yet created
or being changed (`rpc.deserialize_properties(..., keep_unknowns=True)` in `pulumi/dynamic/__main__.py`). A
check validates what is known and accepts what is not: the same check runs again in `pulumi up` with the value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown


def is_unknown(value: Any) -> bool:
    """True for a value, or a list or mapping holding one, that the engine does not know yet (preview only)."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, Mapping):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(is_unknown(v) for v in value)
    return False


def required_strings(news: Mapping[str, Any], keys: Iterable[str]) -> list[CheckFailure]:
    """A failure, naming the input and its value, for each of `keys` that is known and not a non-empty string."""
    return [
        CheckFailure(key, f"{key}: {news.get(key)!r} must be a non-empty string")
        for key in keys
        if not is_unknown(news.get(key)) and (not isinstance(news.get(key), str) or not news.get(key))
    ]


def one_of(news: Mapping[str, Any], key: str, allowed: Iterable[str]) -> list[CheckFailure]:
    """A failure if `news[key]` is known and not one of `allowed`."""
    value, choices = news.get(key), tuple(allowed)
    if is_unknown(value) or value in choices:
        return []
    return [CheckFailure(key, f"{key}: {value!r} must be one of {', '.join(choices)}")]


def positive_number(news: Mapping[str, Any], key: str) -> list[CheckFailure]:
    """A failure if `news[key]` is known and not a positive number (a boolean is not a number)."""
    value = news.get(key)
    if is_unknown(value) or (not isinstance(value, bool) and isinstance(value, int | float) and value > 0):
        return []
    return [CheckFailure(key, f"{key}: {value!r} must be a positive number")]


def machine_entries(
    news: Mapping[str, Any], rule: str, empty_ok: bool = False
) -> tuple[dict[str, Any], list[CheckFailure]]:
    """A wave resource's `machines` input: the known entries (name -> mapping; unknown or malformed ones as {}),
    and a failure naming `rule` if the input is known and not a mapping (an empty one too, unless `empty_ok`)."""
    machines = news.get("machines")
    if is_unknown(machines) and not isinstance(machines, Mapping):
        return {}, []
    if not isinstance(machines, Mapping) or not (machines or empty_ok):
        return {}, [CheckFailure("machines", f"machines: {machines!r} {rule}")]
    return {str(name): entry if isinstance(entry, Mapping) else {} for name, entry in machines.items()}, []
