"""`discover`: build or update a wave's machines from EC2, and check that ASR can replicate them.

    python -m migrate_tool discover --wave wave1 --tag Application=orders [--in-guest]
    python -m migrate_tool discover --stack stacks/Pulumi.wave1.yaml --instance-ids i-0abc...,i-0def...
    python -m migrate_tool discover --wave wave1 --csv mgn-import.csv --mgn-wave "Wave 1"

Exit codes: 0 the stack file was written and no machine is blocked; 1 at least one machine is
blocked (blocked machines are not added to the wave; ones already in it are kept and flagged);
2 bad input or a config problem (nothing written when the machines themselves are wrong).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml

from components.config import CONFIG_PATH, WaveConfigError, parse_wave
from migrate_tool.aws import discovery, eligibility

ClientFactory = Callable[[str, str, str | None], Any]
"""(service, region, profile) -> boto3 client; tests inject their own."""


def _boto3_client(service: str, region: str, profile: str | None) -> Any:
    import boto3

    return boto3.Session(profile_name=profile, region_name=region).client(service)


def default_region(profile: str | None) -> str | None:
    """The region the AWS CLI would use: AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region`."""
    import boto3

    return (
        os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or boto3.Session(profile_name=profile).region_name
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="migrate.py discover",
        description="Fill a wave's machines from EC2 and check each instance's eligibility for ASR.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--tag", action="append", metavar="KEY=VALUE", help="match instances with this tag (repeat: all must match)"
    )
    source.add_argument(
        "--instance-ids",
        metavar="ID[,ID...]",
        help="exactly these instances (comma-separated; repeatable)",
        action="append",
    )
    source.add_argument(
        "--csv", metavar="FILE", type=Path, help="an AWS MGN import CSV (see docs/aws-side.md for the columns used)"
    )
    parser.add_argument("--mgn-wave", metavar="NAME", help="with --csv: only rows whose mgn:wave:name is NAME")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack", metavar="FILE", type=Path, help="the stack file to create or update")
    target.add_argument("--wave", metavar="NAME", help="shorthand for --stack stacks/Pulumi.NAME.yaml")
    parser.add_argument(
        "--region",
        help="AWS region (default: the wave's aws.region, else AWS_REGION, AWS_DEFAULT_REGION or the profile's region)",
    )
    parser.add_argument("--profile", help="AWS named profile (default: the usual AWS credential chain)")
    parser.add_argument(
        "--in-guest", action="store_true", help="also check OS version and PV drivers inside each guest through SSM"
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace hand-set name/privateIp/os/vmSize with what EC2 says"
    )
    parser.add_argument("--findings-json", metavar="FILE", type=Path, help="also write the findings as JSON")
    parser.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    parser.add_argument("--show-ok", action="store_true", help="list passing checks in the table too")
    return parser


def _tags(values: Sequence[str]) -> dict[str, str]:
    tags = {}
    for value in values:
        key, sep, tag_value = value.partition("=")
        if not sep or not key:
            raise discovery.DiscoveryError([f"--tag {value!r} must be KEY=VALUE, like Application=orders"])
        tags[key] = tag_value
    return tags


def _load_stack(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise discovery.DiscoveryError([f"{path}: not valid YAML ({err})"]) from None
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise discovery.DiscoveryError([f"{path}: must be a Pulumi stack file with a 'config:' mapping"])
    return document


def _write_stack(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    os.replace(temporary, path)


def main(argv: list[str] | None = None, *, client: ClientFactory = _boto3_client, out: TextIO | None = None) -> int:
    stdout = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        return _run(args, client, stdout)
    except discovery.DiscoveryError as err:
        print(f"discover: {len(err.problems)} problem(s):\n{err}", file=stdout)
        return 2


def _run(args: argparse.Namespace, client: ClientFactory, out: TextIO) -> int:
    stack_path: Path = args.stack or Path("stacks") / f"Pulumi.{args.wave}.yaml"
    document = _load_stack(stack_path)
    config = document.setdefault("config", {})
    raw = config.get(CONFIG_PATH) or {}
    if not isinstance(raw, dict):
        raise discovery.DiscoveryError([f"{stack_path}: {CONFIG_PATH} must be a mapping"])
    raw = dict(raw)
    if args.mgn_wave and not args.csv:
        raise discovery.DiscoveryError(["--mgn-wave only applies with --csv"])
    # The wave's own region wins over the shell's: a wave's machines live where its stack says.
    region = args.region or (raw.get("aws") or {}).get("region") or default_region(args.profile)
    if not region:
        raise discovery.DiscoveryError(
            [f"no region: give --region, set aws.region in {stack_path}, or set AWS_REGION / AWS_DEFAULT_REGION"]
        )
    ec2 = client("ec2", region, args.profile)

    notices: list[str] = []
    if args.csv:
        try:
            text = args.csv.read_text(encoding="utf-8")
        except OSError as err:
            raise discovery.DiscoveryError([f"--csv {str(args.csv)!r}: cannot read it ({err.strerror})"]) from None
        servers = discovery.read_mgn_csv(text, args.mgn_wave)
        ids = discovery.resolve_csv_servers(ec2, servers)
        instances = discovery.describe_fleet(ec2, instance_ids=ids)
        notices += discovery.csv_platform_notices(servers, ids, instances)
    elif args.tag:
        instances = discovery.describe_fleet(ec2, tags=_tags(args.tag))
    else:
        ids = [i.strip() for value in args.instance_ids for i in value.split(",") if i.strip()]
        instances = discovery.describe_fleet(ec2, instance_ids=ids)

    existing: list[dict[str, Any]] = raw["machines"] if isinstance(raw.get("machines"), list) else []
    merged = discovery.merge_machines(existing, instances, overwrite=args.overwrite)
    notices += merged.notices
    duplicates = discovery.duplicate_name_problems(merged.machines)
    if duplicates:
        raise discovery.DiscoveryError(duplicates)

    architecture = raw.get("architecture", "modernized")
    if architecture not in eligibility.SUPPORTED_WINDOWS:
        raise discovery.DiscoveryError(
            [f"{CONFIG_PATH}.architecture: {architecture!r} must be 'modernized' or 'classic'"]
        )
    names = {m["instanceId"]: m["name"] for m in merged.machines if "instanceId" in m and "name" in m}
    guest: dict[str, eligibility.GuestFacts | str] = {}
    if args.in_guest:
        guest = eligibility.run_in_guest_checks(client("ssm", region, args.profile), instances)
    findings = [
        f
        for i in instances
        for f in eligibility.check_instance(i, names[i.instance_id], architecture, guest.get(i.instance_id))
    ]
    blocked = eligibility.blocked_machines(findings)
    # Newly found machines that cannot be replicated stay out of the wave; hand-added ones stay in, flagged.
    machines = [m for m in merged.machines if not (m.get("instanceId") in merged.added and m.get("name") in blocked)]
    notices += [
        f"{m['name']}: not added to the wave, it is blocked (see findings)"
        for m in merged.machines
        if m not in machines
    ]

    wave_name = raw.get("name") or args.wave or stack_path.stem.removeprefix("Pulumi.")
    raw = {"name": wave_name, **raw}
    raw.setdefault("aws", {})
    if isinstance(raw["aws"], dict) and "region" not in raw["aws"]:
        raw["aws"] = {**raw["aws"], "region": region}
    raw["machines"] = machines

    for notice in notices:
        print(f"note: {notice}", file=out)
    print(eligibility.findings_table(findings, show_ok=args.show_ok), file=out)
    print(eligibility.summary(findings, names), file=out)

    if args.findings_json:
        _write_findings(args.findings_json, wave_name, findings, blocked)
    if not machines and blocked:
        print(f"discover: every machine found is blocked; {stack_path} not written", file=out)
        return 1
    problems = _validate(raw)
    machine_problems = [p for p in problems if p.startswith(f"{CONFIG_PATH}.machines")]
    if machine_problems:
        print("discover: the machines would not be a valid wave config; nothing written:", file=out)
        print("\n".join(f"  - {p}" for p in machine_problems), file=out)
        return 2
    if args.dry_run:
        print(f"dry run: {stack_path} not written ({len(machines)} machine(s))", file=out)
    else:
        config[CONFIG_PATH] = raw
        _write_stack(stack_path, document)
        print(f"wrote {len(machines)} machine(s) to {stack_path} ({CONFIG_PATH})", file=out)
    if problems:
        print(f"{stack_path} still needs these before `pulumi up`:", file=out)
        print("\n".join(f"  - {p}" for p in problems), file=out)
        return 2
    return 1 if blocked else 0


def _validate(raw: dict[str, Any]) -> list[str]:
    try:
        parse_wave(raw)
    except WaveConfigError as err:
        return [str(p) for p in err.problems]
    return []


def _write_findings(path: Path, wave: str, findings: Sequence[eligibility.Finding], blocked: set[str]) -> None:
    payload = {"wave": wave, "blocked": sorted(blocked), "findings": [f.to_json() for f in findings]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - the lead's dispatcher is the usual entry point
    raise SystemExit(main())
