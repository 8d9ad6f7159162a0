"""`python -m migrate_tool <command>`: the project's commands (run through `python3 migrate.py`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="migrate.py", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    plan = commands.add_parser("plan", help="offline plan of a stack under Pulumi's mock engine (no credentials)")
    plan.add_argument("stack", nargs="?", default="wave1", help="stack name: stacks/Pulumi.<stack>.yaml (default: wave1)")
    plan.add_argument("--out", type=Path, help="where plan.json and runbook.md go (default: plan-out/<stack>/)")
    plan.add_argument("--stacks-dir", type=Path, help="folder of Pulumi.<stack>.yaml files (default: stacks/)")
    plan.add_argument("--policy-config", type=Path, help="policy pack settings, as for `pulumi preview --policy-pack-config`")
    args = parser.parse_args(argv)

    if args.command in (None, "plan"):
        from migrate_tool.offline import plan as offline_plan

        return offline_plan.main(
            getattr(args, "stack", "wave1"),
            getattr(args, "out", None),
            getattr(args, "stacks_dir", None),
            getattr(args, "policy_config", None),
        )
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
