"""Foundations and the waves on them, for tests: configs, stack files in a directory, and their program runs."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from migrate_tool.offline.engine import ProgramRun
from tests.program import run_wave
from tests.waves import EXAMPLE_WAVE

FOUNDATION_STACK = "organization/migration/foundation"
SPOKE = "/subscriptions/6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f/resourceGroups/rg-spoke/providers/Microsoft.Network/virtualNetworks"
PASSPHRASES = {
    "migration:appliancePassphrase-asr-app-a": "passphrase-a-Gf55-DO-NOT-LEAK",
    "migration:appliancePassphrase-asr-app-b": "passphrase-b-Hq66-DO-NOT-LEAK",
}


def foundation(appliances: int = 2, **overrides: Any) -> dict[str, Any]:
    """A modernized foundation on the example wave's Azure and AWS settings, with `appliances` appliances."""
    raw: dict[str, Any] = {
        "name": "foundation",
        "architecture": "modernized",
        "tags": {"owner": "platform-team"},
        "azure": copy.deepcopy(EXAMPLE_WAVE["azure"]),
        "aws": {
            **{k: v for k, v in EXAMPLE_WAVE["aws"].items() if k != "applianceHost"},
            "appliances": [{"name": f"asr-app-{chr(ord('a') + n)}"} for n in range(appliances)],
        },
    }
    raw["azure"]["network"]["subnets"] = [
        {"name": "default", "prefix": "10.0.0.0/24"},
        {"name": "data", "prefix": "10.0.1.0/24"},
    ]
    raw.update(overrides)
    return raw


def wave_on(name: str, machines: int, first: int = 0, **overrides: Any) -> dict[str, Any]:
    """A wave on the foundation stack with `machines` generated machines, numbered from `first`."""
    raw: dict[str, Any] = {
        "name": name,
        "foundation": {"stack": FOUNDATION_STACK},
        "machines": [
            {
                "name": f"vm{n:04d}",
                "instanceId": f"i-{n:017x}",
                "privateIp": f"172.31.{n // 250}.{n % 250 + 4}",
                "os": "windows" if n % 2 else "linux",
            }
            for n in range(first, first + machines)
        ],
    }
    raw.update(overrides)
    return raw


def write_stacks(directory: Path, stacks: dict[str, tuple[str, dict[str, Any]]]) -> Path:
    """Stack files `Pulumi.<stack>.yaml` holding each stack's (config key, raw object)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stack, (key, raw) in stacks.items():
        (directory / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": {key: raw}}))
    return directory


def use_stacks(monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
    """The program reads the foundation's stack file (and its other waves') from `directory`."""
    monkeypatch.setenv("MIGRATION_STACKS_DIR", str(directory))


def run_foundation(raw: dict[str, Any], secrets: dict[str, str] | None = None, **kwargs: Any) -> ProgramRun:
    return run_wave(
        raw,
        PASSPHRASES if secrets is None else secrets,
        "foundation",
        key="migration:foundation",
        **kwargs,
    )


def run_wave_on(raw: dict[str, Any], foundation_run: ProgramRun, **kwargs: Any) -> ProgramRun:
    """A wave on the foundation whose run answers its StackReference; it has no secret of its own."""
    return run_wave(raw, {}, raw["name"], references={FOUNDATION_STACK: foundation_run}, **kwargs)
