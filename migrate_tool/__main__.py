"""`python -m migrate_tool <command>`: the project's commands (run through `python3 migrate.py`).

plan [stack]         offline plan of a stack under Pulumi's mock engine (no credentials)
plan-dr [dr-stack]   offline plan of the DR project (dr/), fed a planned or real wave's outputs
discover ...         build or update a wave's machines from EC2 and check their eligibility
status ...           per-machine phase, replication health, RPO and last job, from the live vault
                     (a foundation: every wave, each appliance's load, every failure; --html for a page)
test [pytest args]   the test suite, in parallel (run by migrate.py itself, inside .venv)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["discover"]:
        from migrate_tool.aws.discover_cli import main as discover

        return discover(argv[1:])
    if argv[:1] == ["status"]:
        from migrate_tool.status import main as status

        return status(argv[1:])

    parser = argparse.ArgumentParser(
        prog="migrate.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command")
    plan = commands.add_parser("plan", help="offline plan of a stack under Pulumi's mock engine (no credentials)")
    plan.add_argument(
        "stack", nargs="?", default="wave1", help="stack name: stacks/Pulumi.<stack>.yaml (default: wave1)"
    )
    plan.add_argument("--out", type=Path, help="where plan.json and runbook.md go (default: plan-out/<stack>/)")
    plan.add_argument("--stacks-dir", type=Path, help="folder of Pulumi.<stack>.yaml files (default: stacks/)")
    plan.add_argument(
        "--policy-config", type=Path, help="policy pack settings, as for `pulumi preview --policy-pack-config`"
    )
    plan_dr = commands.add_parser(
        "plan-dr", help="offline plan of the DR project (dr/stacks/Pulumi.<dr-stack>.yaml) from a wave's outputs"
    )
    plan_dr.add_argument("stack", nargs="?", default="wave1-dr", help="DR stack name (default: wave1-dr)")
    plan_dr.add_argument(
        "--wave-outputs",
        type=Path,
        help="the wave's outputs: its offline plan.json (default: plan-out/<wave>/plan.json) or the JSON of"
        " `pulumi stack output --json --show-secrets -s <wave>`",
    )
    plan_dr.add_argument("--out", type=Path, help="where plan.json goes (default: plan-out/<dr-stack>/)")
    plan_dr.add_argument("--stacks-dir", type=Path, help="folder of the DR stack files (default: dr/stacks/)")
    commands.add_parser(
        "discover", help="build or update a wave from EC2 and check eligibility (see `discover --help`)"
    )
    commands.add_parser("status", help="live per-machine status from the vault (see `status --help`)")
    commands.add_parser(
        "test", help="the test suite, in parallel; pytest arguments may follow (`migrate.py test -m slow`)"
    )
    args = parser.parse_args(argv)
    if args.command == "test":
        print("run the tests with `python3 migrate.py test`, which starts pytest inside .venv", file=sys.stderr)
        return 2

    if args.command == "plan-dr":
        from migrate_tool.offline import dr_plan

        return dr_plan.main(args.stack, args.wave_outputs, args.out, args.stacks_dir)

    from migrate_tool.offline import plan as offline_plan

    return offline_plan.main(
        getattr(args, "stack", "wave1"),
        getattr(args, "out", None),
        getattr(args, "stacks_dir", None),
        getattr(args, "policy_config", None),
    )


if __name__ == "__main__":
    sys.exit(main())
