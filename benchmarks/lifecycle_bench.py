"""Benchmark: a wave through test, cleanup, cutover and complete against the fake ARM server.

    .venv/bin/python benchmarks/lifecycle_bench.py --latency 2 --sizes 10 50 200

For each orchestration mode and wave size it runs the real program under the mock engine for each phase and
then the lifecycle's dynamic providers as the engine would (tests/lifecycle/engine.py), against a fake ASR
whose jobs take `--latency` seconds. It reports the wall time of each phase's provider steps (the program's
own mock run is excluded: a real engine's is not comparable), the ARM requests per machine, and the target:
recoveryPlan at most 1.2 x the job latency per phase; perMachine within ceil(N / maxConcurrency) x latency
x 1.2; requests per machine flat as the wave grows. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.lifecycle.engine import LifecycleEngine

from components.asr import arm
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.server import SUBSCRIPTION, FakeArm
from tests.program import run_wave
from tests.waves import wave

PHASES = ("test", "tested", "cutover", "complete")


def run_case(mode: str, size: int, latency: float, max_concurrency: int, parallel: int) -> list[dict[str, Any]]:
    fake = FakeArm(job_step_seconds=latency / 2, retry_after=f"{latency / 10:g}").start()
    os.environ.update(
        {
            "ASR_ARM_ENDPOINT": fake.url,
            "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
            "ASR_JOB_POLL_SECONDS": f"{latency / 10:g}",
            "ASR_HTTP_TIMEOUT_SECONDS": "30",
        }
    )
    try:
        engine = LifecycleEngine(fake, parallel=parallel)
        raw = wave(machines=size)
        raw["lifecycle"] = {
            "phase": "replicate",
            "orchestration": mode,
            "shutdownSource": False,
            "maxConcurrency": max_concurrency,
        }
        engine.up(raw)
        rows = []
        for phase in PHASES:
            raw["lifecycle"]["phase"] = phase
            program = run_wave(raw)
            since = len(fake.requests)
            started = time.monotonic()
            engine.up(raw, run=program)
            elapsed = time.monotonic() - started
            requests = len(fake.requests) - since
            rounds = (
                1
                if mode == "recoveryPlan" and phase != "complete"
                else math.ceil(size / min(max_concurrency, parallel))
            )
            rows.append(
                {
                    "mode": mode,
                    "size": size,
                    "phase": phase,
                    "seconds": elapsed,
                    "requests_per_machine": requests / size,
                    "bound": 1.2 * latency * rounds,
                }
            )
            print(f"{mode:12} {size:4} {phase:9} {elapsed:6.2f} s  {requests / size:5.1f} req/machine", file=sys.stderr)
        return rows
    finally:
        fake.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=2.0, help="seconds one ASR job takes (default 2)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--modes", nargs="+", default=["recoveryPlan", "perMachine"])
    parser.add_argument("--max-concurrency", type=int, default=50, help="lifecycle.maxConcurrency (default 50)")
    parser.add_argument(
        "--parallel", type=int, default=64, help="engine parallelism, as `pulumi up --parallel` (default 64)"
    )
    args = parser.parse_args(argv)
    arm.default_credential = lambda _settings: StaticTokenCredential()  # type: ignore[assignment]
    rows = [
        row
        for mode in args.modes
        for size in args.sizes
        for row in run_case(mode, size, args.latency, args.max_concurrency, args.parallel)
    ]
    print(
        f"Job latency {args.latency:g} s, maxConcurrency {args.max_concurrency}, engine parallelism {args.parallel}.\n"
    )
    print("| mode | machines | phase | wall time (s) | bound (s) | within | ARM requests / machine |")
    print("|---|---:|---|---:|---:|---|---:|")
    for row in rows:
        within = "yes" if row["seconds"] <= row["bound"] else "NO"
        print(
            f"| {row['mode']} | {row['size']} | {row['phase']} | {row['seconds']:.2f} | {row['bound']:.1f} | {within} |"
            f" {row['requests_per_machine']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
