"""Every environment setting the dynamic providers read, parsed and validated in one place.

The plugin process (`python -m pulumi.dynamic`) takes its settings from the environment, read at call time and
never cached, so a test or an operator can change them between calls. A bad value stops the action before it
sends anything, with a message that names the variable, the value and the rule (`AsrSettingsError`).
The ASR client's own settings (endpoint, cloud, retries, timeouts) are assembled in `components/asr/arm.py`
from these readers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from components.errors import MigrationError


class AsrSettingsError(MigrationError, ValueError):
    """A setting is missing or invalid; the message names variable, value and rule."""

    def __init__(self, variable: str, value: str | None, rule: str) -> None:
        shown = "(missing)" if value is None else repr(value)
        super().__init__(f"{variable}: {shown} {rule}")
        self.variable = variable
        self.value = value
        self.rule = rule


def seconds(variable: str, default: float, environ: Mapping[str, str] | None = None) -> float:
    """A positive, finite number of seconds; `default` when unset or empty."""
    raw = (os.environ if environ is None else environ).get(variable)
    if raw is None or raw == "":
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise AsrSettingsError(variable, raw, "must be a positive number of seconds")
    return value


def count(variable: str, default: int, environ: Mapping[str, str] | None = None, maximum: int = 100) -> int:
    """A whole number from 0 to `maximum`; `default` when unset or empty."""
    raw = (os.environ if environ is None else environ).get(variable)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) > maximum:
        raise AsrSettingsError(variable, raw, f"must be a whole number from 0 to {maximum}")
    return int(raw)
