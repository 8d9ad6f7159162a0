"""The one boundary where stack config is read: `migration:wave` into a validated `WaveConfig`."""

from __future__ import annotations

import pulumi

from components.config import WaveConfig, parse_wave


def load_wave_config(config: pulumi.Config | None = None) -> WaveConfig:
    """Read and validate `migration:wave`; raise `WaveConfigError` (components.config) listing every problem."""
    return parse_wave((config or pulumi.Config("migration")).get_object("wave"))
