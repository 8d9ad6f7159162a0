"""Fixtures of the real-CLI stage: the built tools, the fake ARM server with the stand-ins' world, a `Cli`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.harness import Cli
from tests.cli.world import World
from tests.engine.cloud import Cloud
from tests.fake_arm.compute import FakeCompute


@pytest.fixture(name="tools", scope="session")
def tools_fixture() -> Path:
    """The directory of `pulumi` and `pulumi-language-python`: $PULUMI_CLI_DIR, which .ci/run sets after
    scripts/build_pulumi_tools.sh."""
    found = os.environ.get("PULUMI_CLI_DIR")
    if not found or not (Path(found) / "pulumi").exists():
        pytest.skip("the real-CLI stage needs PULUMI_CLI_DIR (bash scripts/build_pulumi_tools.sh prints it)")
    return Path(found)


@pytest.fixture(name="fake")
def fake_fixture() -> Iterator[FakeCompute]:
    server = FakeCompute(job_step_seconds=0.05, retry_after="0.05").start()
    server.standin = World(Cloud(server))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(name="cli")
def cli_fixture(tools: Path, fake: FakeCompute, tmp_path: Path) -> Cli:
    return Cli(tools, tmp_path, fake.url)
