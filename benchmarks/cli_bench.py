"""Benchmark: what the real Pulumi CLI's engine adds to the program's own cost, at 50 and 200 machines.

    PULUMI_CLI_DIR="$(bash scripts/build_pulumi_tools.sh)" .venv/bin/python benchmarks/cli_bench.py --sizes 50 200

Per wave size, a new modernized wave through the real CLI (tests/cli: stand-ins for the azure-native and aws
plugins, the fake ARM server with 0.1 s jobs): `pulumi preview` of the new stack, the first `pulumi up` (landing
zone, vault, appliance host, source preparation, stopping at the appliance's registration), and the second
`pulumi up` once the appliance is registered and its passphrase set (discovery, the protected items, the
lifecycle records). Beside each, the same program run under Pulumi's mock engine (the offline plan's engine,
`run_wave`): the program's own evaluation time. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from tests.cli.harness import Cli
from tests.cli.world import World
from tests.engine.cloud import Cloud
from tests.fake_arm.compute import FakeCompute
from tests.program import run_wave
from tests.waves import wave

PASSPHRASE = "bench-appliance-passphrase"


def timed(run: Any) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def one_size(tools: Path, machines: int) -> dict[str, float]:
    raw = wave(machines=machines)
    raw["lifecycle"] = {"shutdownSource": False}
    mock_first = timed(lambda: run_wave(raw, secrets={}, stack="bench"))
    mock_second = timed(lambda: run_wave(raw, secrets={"migration:appliancePassphrase": PASSPHRASE}, stack="bench"))
    fake = FakeCompute(job_step_seconds=0.05, retry_after="0.05").start()
    fake.standin = World(Cloud(fake))
    try:
        with tempfile.TemporaryDirectory() as work:
            cli = Cli(tools, Path(work), fake.url)
            (cli.project / "stacks" / "Pulumi.bench.yaml").write_text(
                yaml.safe_dump({"config": {"migration:wave": raw}})
            )
            cli.run("stack", "init", "bench")
            preview = timed(lambda: cli.run("preview", "-s", "bench"))
            first = timed(lambda: cli.run("up", "-s", "bench", "--yes", timeout=1800))
            outputs = cli.outputs("bench")
            fake.register_appliance(
                f"fabric-{raw['azure']['vault']}", f"container-{raw['azure']['vault']}", "modernized",
                outputs["appliancePrivateIp"], vault_path=fake.vault_path(raw["azure"]["resourceGroup"], raw["azure"]["vault"]),
            )  # fmt: skip
            for machine in raw["machines"]:
                fake.add_site_machine(machine["name"], machine["privateIp"], machine["name"])
            cli.run("config", "set", "-s", "bench", "--secret", "migration:appliancePassphrase", PASSPHRASE)
            second = timed(lambda: cli.run("up", "-s", "bench", "--yes", timeout=1800))
            resources = len(json.loads(cli.run("stack", "export", "-s", "bench"))["deployment"]["resources"])
    finally:
        fake.stop()
    return {"machines": machines, "resources": resources, "mock first": mock_first, "preview": preview,
            "up 1": first, "mock second": mock_second, "up 2": second}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200])
    args = parser.parse_args()
    tools = Path(os.environ["PULUMI_CLI_DIR"])
    rows = [one_size(tools, size) for size in args.sizes]
    print("| machines | resources | mock engine, up 1 | CLI preview | CLI up 1 | mock engine, up 2 | CLI up 2 |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['machines']} | {row['resources']} | {row['mock first']:.1f} s | {row['preview']:.1f} s |"
            f" {row['up 1']:.1f} s | {row['mock second']:.1f} s | {row['up 2']:.1f} s |"
        )


if __name__ == "__main__":
    main()
