"""Every error the project raises for a person derives from one root, which the command-line tools catch."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import components
import migrate_tool
from components.errors import MigrationError

CONTROL_FLOW = {"PolicyNotApplicableError"}  # migrate_tool/policy_check.py: a policy says it does not apply


def project_errors() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for package in (components, migrate_tool):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if module.name.endswith("__main__"):
                continue
            loaded = importlib.import_module(module.name)
            for name, value in vars(loaded).items():
                if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == loaded.__name__:
                    found[name] = value
    return found


def test_every_project_error_has_the_one_root() -> None:
    errors = project_errors()
    assert len(errors) >= 20, sorted(errors)
    strays = sorted(n for n, e in errors.items() if not issubclass(e, MigrationError) and n not in CONTROL_FLOW)
    assert strays == []


@pytest.mark.parametrize(
    "name", ["AsrJobTimeoutError", "RegistrationTimeoutError", "WaveConfigError", "SourceStopError"]
)
def test_the_old_bases_still_hold(name: str) -> None:
    """Handlers written for the built-in bases (TimeoutError, ValueError, RuntimeError) keep catching them."""
    error = project_errors()[name]
    assert issubclass(error, (TimeoutError, ValueError, RuntimeError)) and issubclass(error, MigrationError)
