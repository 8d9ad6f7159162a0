"""`discover` end to end against the moto fleet: the stack file it writes, the table it prints, its exit code."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import ANY, Stubber

from components.config import parse_wave
from migrate_tool.aws import discover_cli, eligibility
from tests.aws.conftest import REGION, Fleet, add_ami, launch
from tests.waves import EXAMPLE_WAVE


def stack_file(tmp_path: Path, machines: list[dict[str, Any]] | None = None) -> Path:
    """A wave1 stack file as a person would have it before discovery: everything but the machines."""
    raw = copy.deepcopy(EXAMPLE_WAVE)
    raw.pop("machines")
    if machines is not None:
        raw["machines"] = machines
    path = tmp_path / "Pulumi.wave1.yaml"
    document = {
        "encryptionsalt": "v1:abc=",
        "config": {"migration:wave": raw, "migration:appliancePassphrase": {"secure": "v1:AAAA"}},
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def run(fleet: Fleet, *argv: str, client: Any = None) -> tuple[int, str]:
    out = io.StringIO()
    code = discover_cli.main(list(argv), client=client or fleet.client, out=out)
    return code, out.getvalue()


def wave_in(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())["config"]["migration:wave"]


def test_discover_writes_a_valid_wave_and_blocks_exactly_the_ineligible_machines(fleet: Fleet, tmp_path: Path) -> None:
    path = stack_file(tmp_path)
    findings_path = tmp_path / "plan" / "findings.json"
    code, out = run(fleet, "--stack", str(path), "--tag", "Application=orders", "--findings-json", str(findings_path))

    assert code == 1, out
    wave = parse_wave(wave_in(path))  # valid, as the program will read it
    assert {m.name: m.instance_id for m in wave.machines} == {
        "web01": fleet.ids["web"],
        "db01": fleet.ids["db"],
        "app01": fleet.ids["app"],
    }
    assert {m.name: m.vm_size for m in wave.machines} == {
        "web01": "Standard_D2s_v5",
        "db01": "Standard_E4s_v5",
        "app01": "Standard_F8s_v2",
    }
    assert {m.name: m.os for m in wave.machines} == {"web01": "windows", "db01": "linux", "app01": "linux"}
    findings = json.loads(findings_path.read_text())
    assert findings["blocked"] == ["legacy01", "old32", "tools01"]
    assert {(f["machine"], f["check"]) for f in findings["findings"] if f["severity"] == "blocker"} == {
        ("legacy01", "hvm"),
        ("old32", "64-bit"),
        ("tools01", "supported-os"),
    }
    blocker_lines = [line for line in out.splitlines() if line.startswith("BLOCKER")]
    assert [line.split()[1] for line in blocker_lines] == ["legacy01", "old32", "tools01"]
    assert "note: legacy01: not added to the wave, it is blocked (see findings)" in out
    assert f"wrote 3 machine(s) to {path}" in out
    # Everything else in the stack file survives: the secret, the salt, the other sections.
    document = yaml.safe_load(path.read_text())
    assert document["encryptionsalt"] == "v1:abc="
    assert document["config"]["migration:appliancePassphrase"] == {"secure": "v1:AAAA"}
    assert wave_in(path)["azure"] == EXAMPLE_WAVE["azure"]


def test_only_eligible_machines_exit_zero(fleet: Fleet, tmp_path: Path) -> None:
    path = stack_file(tmp_path)
    code, out = run(fleet, "--stack", str(path), "--instance-ids", f"{fleet.ids['web']},{fleet.ids['db']}")
    assert code == 0, out
    assert [m["name"] for m in wave_in(path)["machines"]] == ["web01", "db01"]


def test_hand_set_fields_survive_a_rediscovery_and_are_reported(fleet: Fleet, tmp_path: Path) -> None:
    hand = {
        "name": "frontend",
        "instanceId": fleet.ids["web"],
        "privateIp": "172.31.99.99",
        "os": "windows",
        "vmSize": "Standard_D8s_v5",
    }
    path = stack_file(tmp_path, [hand])
    code, out = run(fleet, "--stack", str(path), "--instance-ids", fleet.ids["web"])
    assert code == 0, out
    assert wave_in(path)["machines"] == [{**hand, "disks": 1}]  # what nobody had set is filled in
    assert "note: frontend: filled disks = 1 from EC2" in out
    assert "note: frontend: kept name 'frontend' set by hand (EC2 suggests 'web01'; --overwrite replaces it)" in out
    assert "note: frontend: kept vmSize 'Standard_D8s_v5' set by hand" in out


def test_a_blocked_machine_someone_added_by_hand_stays_but_fails_the_run(fleet: Fleet, tmp_path: Path) -> None:
    hand = {"name": "legacy01", "instanceId": fleet.ids["legacy_pv"], "privateIp": "172.31.40.4", "os": "windows"}
    path = stack_file(tmp_path, [hand])
    code, out = run(fleet, "--stack", str(path), "--instance-ids", fleet.ids["legacy_pv"])
    assert code == 1
    assert [m["name"] for m in wave_in(path)["machines"]] == ["legacy01"]
    assert "BLOCKER   legacy01" in out


def test_duplicate_names_stop_discover_before_anything_is_written(fleet: Fleet, tmp_path: Path) -> None:
    twin = launch(
        fleet.ec2,
        add_ami("RHEL-8.8.0_HVM-x", None, "hvm", "x86_64"),
        "m5.large",
        {"Name": "web01", "Application": "orders"},
    )
    path = stack_file(tmp_path)
    before = path.read_text()
    code, out = run(fleet, "--stack", str(path), "--instance-ids", f"{fleet.ids['web']},{twin}")
    assert code == 2
    assert f"machines: name 'web01' is used by both {fleet.ids['web']} and {twin}" in out
    assert path.read_text() == before


def test_unknown_instance_ids_exit_2_with_the_id_named(fleet: Fleet, tmp_path: Path) -> None:
    code, out = run(fleet, "--stack", str(stack_file(tmp_path)), "--instance-ids", "i-0123456789abcdef0")
    assert code == 2
    assert "--instance-ids: 'i-0123456789abcdef0' does not exist in eu-west-1" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tag", "Application"], "--tag 'Application' must be KEY=VALUE, like Application=orders"),
        (["--instance-ids", "i-1", "--mgn-wave", "W"], "--mgn-wave only applies with --csv"),
        (["--csv", "missing.csv"], "--csv 'missing.csv': cannot read it (No such file or directory)"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(fleet: Fleet, tmp_path: Path, argv: list[str], message: str) -> None:
    code, out = run(fleet, "--stack", str(stack_file(tmp_path)), *argv)
    assert code == 2 and message in out, out


def test_csv_import_end_to_end(fleet: Fleet, tmp_path: Path) -> None:
    csv_path = tmp_path / "mgn-import.csv"
    csv_path.write_text(
        "mgn:wave:name,mgn:app:name,mgn:server:user-provided-id,mgn:server:platform,mgn:server:tag:Name\n"
        f"Wave 1,Orders,{fleet.ids['web']},WINDOWS,web01\n"
        "Wave 1,Orders,,LINUX,db01\n"
        "Wave 2,Orders,,LINUX,app01\n"
    )
    path = stack_file(tmp_path)
    code, out = run(fleet, "--stack", str(path), "--csv", str(csv_path), "--mgn-wave", "Wave 1")
    assert code == 0, out
    assert [m["instanceId"] for m in wave_in(path)["machines"]] == [fleet.ids["web"], fleet.ids["db"]]


def test_a_new_stack_file_gets_the_machines_and_a_list_of_what_is_missing(
    fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run(fleet, "--wave", "wave9", "--region", REGION, "--instance-ids", fleet.ids["db"])
    assert code == 2
    written = wave_in(tmp_path / "stacks" / "Pulumi.wave9.yaml")
    assert written["name"] == "wave9" and written["aws"] == {"region": REGION}
    assert [m["name"] for m in written["machines"]] == ["db01"]
    assert "still needs these before `pulumi up`" in out and "migration:wave.azure: (missing) is required" in out


def test_dry_run_writes_nothing(fleet: Fleet, tmp_path: Path) -> None:
    path = stack_file(tmp_path)
    before = path.read_text()
    code, out = run(fleet, "--stack", str(path), "--instance-ids", fleet.ids["db"], "--dry-run")
    assert code == 0 and "dry run" in out
    assert path.read_text() == before


def test_in_guest_check_blocks_a_redhat_pv_driver(fleet: Fleet, tmp_path: Path) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    stub = Stubber(ssm)
    command_id = "0b5e7a4c-1f7e-4c6e-9d2a-3f1c2b8e9a01"
    stub.add_response(
        "send_command",
        {"Command": {"CommandId": command_id}},
        {
            "InstanceIds": [fleet.ids["web"]],
            "DocumentName": "AWS-RunPowerShellScript",
            "Parameters": ANY,
            "Comment": ANY,
            "TimeoutSeconds": ANY,
        },
    )
    output = "os_caption=Microsoft Windows Server 2012 R2 Standard\nos_build=9600\nos_arch=64-bit\npv_device=RedHat PV NIC Driver | Red Hat, Inc.\n"
    stub.add_response(
        "get_command_invocation",
        {"Status": "Success", "StandardOutputContent": output},
        {"CommandId": command_id, "InstanceId": fleet.ids["web"]},
    )

    def client(service: str, region: str, profile: str | None) -> Any:
        return ssm if service == "ssm" else fleet.client(service, region, profile)

    path = stack_file(tmp_path)
    with stub:
        code, out = run(
            fleet, "--stack", str(path), "--instance-ids", fleet.ids["web"], "--in-guest", "--dry-run", client=client
        )
    assert code == 1
    [line] = [line for line in out.splitlines() if line.startswith("BLOCKER")]
    assert line.split()[1:5] == ["web01", fleet.ids["web"], "pv-drivers", "ssm-in-guest"]
    assert "note: web01: not added to the wave, it is blocked (see findings)" in out


def test_findings_json_matches_the_table(fleet: Fleet, tmp_path: Path) -> None:
    findings_path = tmp_path / "findings.json"
    run(
        fleet,
        "--stack",
        str(stack_file(tmp_path)),
        "--instance-ids",
        fleet.ids["old32"],
        "--findings-json",
        str(findings_path),
        "--dry-run",
    )
    data = json.loads(findings_path.read_text())
    assert data["wave"] == "wave1"
    assert {f["check"] for f in data["findings"]} == {
        "instance-state", "64-bit", "hvm", "supported-os", "pv-drivers", "disks", "security-groups",
    }  # fmt: skip
    assert all(
        set(f) == {"machine", "instance_id", "check", "severity", "detail", "remediation", "evidence"}
        for f in data["findings"]
    )
    assert {f["severity"] for f in data["findings"]} <= set(eligibility.SEVERITY_ORDER)


@pytest.mark.parametrize("variable", ["AWS_REGION", "AWS_DEFAULT_REGION"])
def test_a_new_wave_takes_the_region_from_the_standard_aws_settings(
    fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv(variable, REGION)
    asked: list[str] = []

    def client(service: str, region: str, profile: str | None) -> Any:
        asked.append(region)
        return fleet.client(service, region, profile)

    code, out = run(fleet, "--wave", "wave9", "--instance-ids", fleet.ids["db"], client=client)
    assert code == 2, out
    assert set(asked) == {REGION}
    assert wave_in(tmp_path / "stacks" / "Pulumi.wave9.yaml")["aws"] == {"region": REGION}


def test_the_wave_region_wins_over_the_shell_and_no_region_at_all_is_one_clear_line(
    fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    asked: list[str] = []

    def client(service: str, region: str, profile: str | None) -> Any:
        asked.append(region)
        return fleet.client(service, region, profile)

    code, out = run(fleet, "--stack", str(stack_file(tmp_path)), "--instance-ids", fleet.ids["db"], client=client)
    assert code == 0 and set(asked) == {EXAMPLE_WAVE["aws"]["region"]}, out

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    code, out = run(fleet, "--wave", "wave8", "--instance-ids", fleet.ids["db"])
    assert code != 0 and "no region: give --region" in out and "AWS_DEFAULT_REGION" in out
