"""The pull-request preview (.github/workflows/pr-preview.yml) through the real CLI: the workflow's own commands
install the policy pack's dependencies, then `pulumi preview --policy-pack policy` passes a wave the pack allows and
fails one it refuses, naming the policy."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.cli.harness import ROOT, Cli

pytestmark = pytest.mark.cli

WORKFLOW = ROOT / ".github/workflows/pr-preview.yml"


def workflow_install_commands() -> list[str]:
    """The lines of the workflow's install step that set up the policy pack (the program's venv is the copy's)."""
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["preview"]["steps"]
    [step] = [s for s in steps if s.get("name", "").startswith("Install the program's and the policy pack's")]
    return [line for line in step["run"].splitlines() if "policy/venv" in line]


def test_the_preview_passes_what_the_pack_allows_and_fails_what_it_refuses(cli: Cli, tmp_path: Path) -> None:
    [install] = workflow_install_commands()
    subprocess.run(["bash", "-c", install.replace("python -m venv", "python3 -m venv")], cwd=cli.project, check=True,
                   timeout=600, capture_output=True)  # fmt: skip
    assert (cli.project / "policy/venv/bin/python").exists()
    cli.run("stack", "init", "wave1")
    allowed, refused = tmp_path / "allowed.json", tmp_path / "refused.json"
    allowed.write_text(json.dumps({"allowed-regions": {"allowedAzureRegions": ["westeurope"]}}))
    refused.write_text(json.dumps({"allowed-regions": {"allowedAzureRegions": ["northeurope"]}}))

    passed = cli.run("preview", "-s", "wave1", "--policy-pack", "policy", "--policy-pack-config", str(allowed))
    assert "+ 49 to create" in passed and "mandatory" not in passed, passed

    failed = cli.run(
        "preview", "-s", "wave1", "--policy-pack", "policy", "--policy-pack-config", str(refused), check=False
    )
    assert cli.log[-1][1] != 0, failed
    assert "allowed-regions" in failed and "mandatory" in failed, failed
    assert "westeurope" in failed, failed
