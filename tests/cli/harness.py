"""The real Pulumi CLI (built by scripts/build_pulumi_tools.sh), run on a copy of the project with a `file://` backend
and a passphrase secrets provider, against the fake ARM server; the azure-native and aws plugins are the stand-ins of
tests/cli/standin.py, whose questions the test's `World` answers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.engine.conftest import UNSET
from tests.fake_arm.server import IDENTITY_HEADER, SUBSCRIPTION

ROOT = Path(__file__).resolve().parents[2]
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "components", "a2a", "migrate_tool", "policy", "stacks",
                 "pyproject.toml", "uv.lock", "requirements.txt", "dr", "tests/cli/broken_project")  # fmt: skip
PASSPHRASE = "cli-stage-passphrase"


class CliError(AssertionError):
    """A `pulumi` command that should have succeeded did not; the message holds what it printed."""


@dataclass
class Cli:
    """One project copy, one backend, one PULUMI_HOME: what a new user's machine has after `pulumi login file://`."""

    tools: Path
    work: Path
    fake_url: str
    log: list[tuple[list[str], int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.project = self.work / "project"
        self.project.mkdir(parents=True)
        for name in PROJECT_FILES:
            source = ROOT / name
            (shutil.copytree if source.is_dir() else shutil.copy2)(source, self.project / source.name)
        (self.project / ".venv").symlink_to(ROOT / ".venv")  # `virtualenv: .venv` in Pulumi.yaml
        self.backend = self.work / "state"
        self.backend.mkdir()
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", *UNSET)},
            "PATH": os.pathsep.join([str(self.tools), str(ROOT / "tests/cli/bin"), _uv_dir(), os.environ["PATH"]]),
            "PULUMI_HOME": str(self.work / "home"),
            "PULUMI_BACKEND_URL": f"file://{self.backend}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "STANDIN_PYTHON": str(ROOT / ".venv/bin/python"),
            # The uv toolchain runs `uv sync --inexact` before every Python command. The copy shares this checkout's
            # .venv, where the repository's package is already installed (editable, from here); syncing the copy
            # would point that install at a temporary directory, so the copy's sync leaves the project alone.
            "UV_NO_INSTALL_PROJECT": "1",
            # What a user sets for the ASR actions (README "Real deployment"), aimed at the fake ARM server.
            "ASR_ARM_ENDPOINT": self.fake_url,
            "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
            "IDENTITY_ENDPOINT": f"{self.fake_url}/msi/token",
            "IDENTITY_HEADER": IDENTITY_HEADER,
            "ASR_JOB_POLL_SECONDS": "0.05",
            "ASR_REGISTRATION_POLL_SECONDS": "0.05",
            "ASR_VM_POLL_SECONDS": "0.02",
            "ASR_VM_READY_TIMEOUT_SECONDS": "20",
        }

    def run(self, *args: str, check: bool = True, timeout: float = 300, project: str = "") -> str:
        """`pulumi <args>` in the project (or its subproject `project`, such as `dr`); stdout and stderr together."""
        done = subprocess.run(
            ["pulumi", *args], cwd=self.project / project, env=self.env, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        printed = done.stdout + done.stderr
        self.log.append((list(args), done.returncode, printed))
        if check and done.returncode != 0:
            raise CliError(f"pulumi {' '.join(args)} exited {done.returncode}:\n{printed[-6000:]}")
        return printed

    def outputs(self, stack: str) -> dict[str, Any]:
        return self.outputs_of(stack)

    def outputs_of(self, stack: str, project: str = "") -> dict[str, Any]:
        printed = self.run("stack", "output", "-s", stack, "--json", "--show-secrets", project=project)
        return json.loads(printed)  # type: ignore[no-any-return]

    def state_text(self, stack: str, project: str = "migration") -> str:
        """The stack's checkpoint file as the file backend keeps it."""
        return (self.backend / ".pulumi" / "stacks" / project / f"{stack}.json").read_text()

    def assert_no_plaintext(self, stack: str, secrets: list[str], project: str = "migration") -> None:
        """No secret anywhere in the state file in plain text (the passphrase provider encrypts what is secret)."""
        state = self.state_text(stack, project)
        leaked = [f"{s[:4]}..." for s in secrets if s in state]
        assert leaked == [], f"secrets in plain text in the state of {stack}: {leaked}"


def _uv_dir() -> str:
    """Where `migrate.py` put the pinned uv (`toolchain: uv` in Pulumi.yaml needs uv on PATH)."""
    found = shutil.which("uv")
    if found:
        return str(Path(found).parent)
    cached = sorted((Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "migration-uv").glob("*/bin"))
    return str(cached[-1]) if cached else ""
