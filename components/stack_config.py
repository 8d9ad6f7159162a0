"""The one boundary where stack config is read: `migration:wave` into a validated `WaveConfig`."""

from __future__ import annotations

import pulumi

from components.config import CONFIG_PATH, MISSING, ConfigProblem, WaveConfig, WaveConfigError, parse_wave


def load_wave_config(config: pulumi.Config | None = None) -> WaveConfig:
    """Read and validate `migration:wave`; raise `WaveConfigError` listing every problem."""
    raw = (config or pulumi.Config("migration")).get_object("wave")
    if raw is None:
        raise WaveConfigError(
            [ConfigProblem(CONFIG_PATH, MISSING, "is required: see stacks/Pulumi.wave1.yaml for an example")]
        )
    return parse_wave(raw)
