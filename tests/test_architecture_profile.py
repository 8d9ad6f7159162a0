"""The architecture profile is the one home of what differs between modernized and classic."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from components.architecture import PROFILES, PROVIDER_TYPES, profile
from components.config import parse_wave
from tests.waves import wave

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = [*sorted((ROOT / "components").rglob("*.py")), *sorted((ROOT / "migrate_tool").rglob("*.py")),
              ROOT / "__main__.py"]  # fmt: skip
HOME = ROOT / "components" / "architecture.py"


def _facts() -> set[str]:
    """The architecture-specific values a module could be tempted to spell out again."""
    return {
        value
        for p in PROFILES.values()
        for value in (p.provider_type, p.fabric_type, p.host_ami_filter, p.agent_cs_type, p.vault_setting_provider_type)
        if value
    }


def _string_literals(path: Path) -> list[tuple[int, str]]:
    """String constants of a module that are code, not docstrings."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    docstrings |= {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)  # attribute docstrings
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_architecture_specific_values_are_spelled_out_in_the_profile_only() -> None:
    facts = _facts()
    found = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for path in PRODUCTION
        if path != HOME
        for line, value in _string_literals(path)
        if value in facts
    ]
    assert found == [], "ask components.architecture.profile() instead:\n" + "\n".join(found)


# The architecture-specific typed inputs of the two SDKs: the ASR SDK's (the actions) and azure-native's (the
# replication policy and the protected items).
TYPED_INPUT_HOMES = {ROOT / "components" / "asr" / "provider_inputs.py", ROOT / "components" / "replication.py"}


def test_architecture_specific_sdk_inputs_are_built_in_their_two_homes_only() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.attr}"
        for path in PRODUCTION
        if path not in TYPED_INPUT_HOMES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and ("InMageRcm" in node.attr or "InMageAzureV2" in node.attr)
    ]
    assert found == [], "ask components.asr.provider_inputs.provider_inputs() instead:\n" + "\n".join(found)


def test_the_wave_reads_its_profile_and_the_secrets_follow_it() -> None:
    modernized, classic = parse_wave(wave()), parse_wave(wave(architecture="classic"))
    assert (modernized.profile, classic.profile) == (PROFILES["modernized"], PROFILES["classic"])
    assert (modernized.provider_type, classic.provider_type) == ("InMageRcm", "InMageAzureV2")
    assert PROVIDER_TYPES == {"modernized": "InMageRcm", "classic": "InMageAzureV2"}
    assert (modernized.profile.required_secrets, modernized.profile.staged_secrets) == ((), ("appliancePassphrase",))
    # Classic needs its passwords up front; the vault credentials file is generated unless given.
    assert set(classic.profile.known_secrets) == {
        "vaultRegistrationKey", "appliancePassphrase", "mysqlRootPassword", "mysqlUserPassword",
    }  # fmt: skip
    assert set(classic.profile.required_secrets) == set(classic.profile.known_secrets) - {"vaultRegistrationKey"}
    assert classic.profile.staged_secrets == ()


def test_an_unknown_architecture_names_the_value_and_the_choices() -> None:
    with pytest.raises(ValueError, match=r"architecture: 'hybrid' must be one of modernized, classic"):
        profile("hybrid")
