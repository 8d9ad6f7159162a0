"""The three dependency files agree: uv.lock (uv sync), requirements*.txt (the pip fallback), pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import migrate

ROOT = Path(__file__).resolve().parents[1]


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        requirement = line.split("#")[0].split(";")[0].strip()
        if "==" in requirement:
            name, version = requirement.split("==")
            pins[_name(name.split("[")[0])] = version.strip()
    return pins


def test_the_pip_fallback_installs_exactly_what_uv_lock_pins() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {_name(p["name"]): p["version"] for p in lock["package"] if p["name"] != "migration"}
    exported = _pins(ROOT / "requirements.txt") | _pins(ROOT / "requirements-dev.txt")
    assert exported == locked


def test_every_direct_dependency_is_pinned_and_locked_at_that_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    direct = project["project"]["dependencies"] + project["dependency-groups"]["dev"]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\[\]-]+==[0-9][\w.]*", d) for d in direct), direct
    runtime = _pins(ROOT / "requirements.txt")
    assert {
        _name(d.split("==")[0]): d.split("==")[1] for d in project["project"]["dependencies"]
    }.items() <= runtime.items()


def test_the_test_command_runs_in_parallel_unless_told_otherwise(monkeypatch) -> None:
    monkeypatch.setattr(migrate.os, "cpu_count", lambda: 2)
    assert migrate.pytest_arguments([]) == ["-n", "2"]
    assert migrate.pytest_arguments(["-m", "slow"]) == ["-n", "2", "-m", "slow"]
    assert migrate.pytest_arguments(["-n", "4"]) == ["-n", "4"]
    assert migrate.pytest_arguments(["-n0", "tests/test_config.py"]) == ["-n0", "tests/test_config.py"]
    assert migrate.pytest_arguments(["-p", "no:xdist"]) == ["-p", "no:xdist"]
    monkeypatch.setattr(migrate.os, "cpu_count", lambda: 64)
    assert migrate.pytest_arguments([]) == ["-n", str(migrate.MAX_TEST_WORKERS)]
