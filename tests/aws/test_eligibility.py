"""Eligibility checks over EC2 facts and in-guest facts, and the SSM in-guest probe (botocore Stubber)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from migrate_tool.aws import discovery, eligibility
from migrate_tool.aws.discovery import Ec2Instance, Volume
from migrate_tool.aws.eligibility import GuestFacts, OsRelease
from tests.aws.conftest import Fleet


def instance(**overrides: Any) -> Ec2Instance:
    fields: dict[str, Any] = {
        "instance_id": "i-0123456789abcdef0",
        "name_tag": "web01",
        "private_ip": "172.31.10.11",
        "os": "windows",
        "instance_type": "m5.large",
        "state": "running",
        "architecture": "x86_64",
        "virtualization_type": "hvm",
        "hypervisor": "nitro",
        "image_name": "Windows_Server-2019-English-Full-Base-2024.01.10",
        "volumes": (Volume("/dev/sda1", 30, True),),
        "security_groups": 1,
    }
    fields.update(overrides)
    return Ec2Instance(**fields)


def severities(findings: list[eligibility.Finding]) -> dict[str, str]:
    return {f.check: f.severity for f in findings}


def test_the_moto_fleet_blocks_exactly_the_ineligible_machines(fleet: Fleet) -> None:
    instances = discovery.describe_fleet(fleet.ec2, tags={"Application": "orders"})
    findings = [f for i in instances for f in eligibility.check_instance(i, str(i.name_tag), "modernized")]
    blockers = {(f.machine, f.check) for f in findings if f.severity == "blocker"}
    assert blockers == {("legacy01", "hvm"), ("old32", "64-bit"), ("tools01", "supported-os")}
    assert eligibility.blocked_machines(findings) == {"legacy01", "old32", "tools01"}
    stopped = next(f for f in findings if f.machine == "app01" and f.check == "instance-state")
    assert (stopped.severity, stopped.remediation) == ("warning", "start the instance before enabling replication")


def test_terminated_instances_are_blocked() -> None:
    [state] = [
        f
        for f in eligibility.check_instance(instance(state="terminated"), "web01", "modernized")
        if f.check == "instance-state"
    ]
    assert state.severity == "blocker" and "remove it from the wave" in state.remediation


def test_every_finding_of_a_blocker_has_a_remediation(fleet: Fleet) -> None:
    instances = discovery.describe_fleet(fleet.ec2, tags={"Application": "orders"})
    findings = [f for i in instances for f in eligibility.check_instance(i, str(i.name_tag), "modernized")]
    assert all(f.remediation for f in findings if f.severity in ("blocker", "warning"))


@pytest.mark.parametrize(
    ("release", "architecture", "supported"),
    [
        (OsRelease("windows", "2008 R2 SP1"), "classic", True),
        (OsRelease("windows", "2012 R2"), "classic", True),
        (OsRelease("windows", "2016"), "classic", False),  # the seed's list stops at 2012 R2
        (OsRelease("rhel", "6.7"), "classic", True),
        (OsRelease("rhel", "7.9"), "classic", False),
        (OsRelease("windows", "2025"), "modernized", True),
        (OsRelease("windows", "2008 R2"), "modernized", False),  # SP1 required
        (OsRelease("rhel", "9.5"), "modernized", True),
        (OsRelease("rhel", "9.6"), "modernized", False),
        (OsRelease("ubuntu", "22.04"), "modernized", True),
        (OsRelease("ubuntu", "24.04"), "modernized", False),
        (OsRelease("sles", "15.5"), "modernized", True),
        (OsRelease("sles", "12"), "modernized", False),
        (OsRelease("debian", "12"), "modernized", True),
        (OsRelease("debian", "9.0"), "modernized", False),
        (OsRelease("ol", "8.9"), "modernized", True),
        (OsRelease("centos", "7.9"), "modernized", False),  # no longer in the 2025 matrix
        (OsRelease("amzn", "2"), "modernized", False),
    ],
)
def test_os_support_follows_the_architectures_list(release: OsRelease, architecture: str, supported: bool) -> None:
    assert eligibility.os_support(release, architecture)[0] is supported, eligibility.os_support(release, architecture)[
        1
    ]


def test_windows_2008_sp2_is_supported_for_migration_only() -> None:
    found = eligibility.check_instance(
        instance(),
        "web01",
        "modernized",
        GuestFacts(OsRelease("windows", "2008 SP2"), "x86_64", frozenset({"citrix"}), (), ""),
    )
    os_finding = next(f for f in found if f.check == "supported-os")
    assert (os_finding.severity, os_finding.evidence) == ("info", "ssm-in-guest")
    assert "supported for migration only" in os_finding.detail


@pytest.mark.parametrize(
    ("name", "os", "release"),
    [
        ("Windows_Server-2012-R2_RTM-English-64Bit-Base-2017.10.13", "windows", OsRelease("windows", "2012 R2")),
        ("Windows_Server-2008-R2_SP1-English-64Bit-Base-2017.10.13", "windows", OsRelease("windows", "2008 R2 SP1")),
        ("Windows_Server-2008-SP2-English-64Bit-Base-2017.10.13", "windows", OsRelease("windows", "2008 SP2")),
        ("RHEL-8.6.0_HVM-20220503-x86_64-2-Hourly2-GP2", "linux", OsRelease("rhel", "8.6")),
        ("ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240207", "linux", OsRelease("ubuntu", "22.04")),
        ("suse-sles-15-sp5-v20240129-hvm-ssd-x86_64", "linux", OsRelease("sles", "15.5")),
        ("debian-12-amd64-20240201-1644", "linux", OsRelease("debian", "12")),
        ("OL8.6-x86_64-HVM-2022-06-09", "linux", OsRelease("ol", "8.6")),
        ("al2023-ami-2023.3.20240205.2-kernel-6.1-x86_64", "linux", OsRelease("amzn", "2023")),
        ("amzn2-ami-hvm-2.0.20240109.0-x86_64-gp2", "linux", OsRelease("amzn", "2")),
        ("amzn-ami-hvm-2018.03.0.20231218.0-x86_64-gp2", "linux", OsRelease("amzn", "2018.03")),
        ("amzn-ami-minimal-pv-2016.09.0.20161028-x86_64-s3", "linux", OsRelease("amzn", "2016.09")),
        ("my-golden-image-v42", "linux", None),
    ],
)
def test_release_from_ami_names(name: str, os: str, release: OsRelease | None) -> None:
    assert eligibility.release_from_ami(instance(image_name=name, os=os)) == release


def test_unknown_ami_asks_for_an_in_guest_check() -> None:
    [os_finding] = [
        f
        for f in eligibility.check_instance(instance(image_name=None), "web01", "modernized")
        if f.check == "supported-os"
    ]
    assert os_finding.severity == "warning" and "--in-guest" in os_finding.remediation


WINDOWS_OUTPUT = """os_caption=Microsoft Windows Server 2012 R2 Datacenter
os_build=9600
os_arch=64-bit
pv_device=AWS PV Network Device #0 | Amazon Inc.
pv_device=AWS PV Storage Host Adapter | Amazon Inc.
probe=complete
"""


@pytest.mark.parametrize(
    ("devices", "severity"),
    [
        ("", "ok"),
        ("pv_device=AWS PV Network Device #0 | Amazon Inc.", "ok"),
        ("pv_device=Citrix PV Ethernet Adapter #0 | Citrix Systems, Inc.", "ok"),
        (
            "pv_device=Citrix PV Ethernet Adapter | Citrix Systems, Inc.\npv_device=AWS PV Storage Host Adapter | Amazon Inc.",
            "blocker",
        ),
        ("pv_device=RedHat PV NIC Driver | Red Hat, Inc.", "blocker"),
    ],
)
def test_windows_pv_driver_rule(devices: str, severity: str) -> None:
    facts = eligibility.parse_guest_output(
        "windows",
        f"os_caption=Microsoft Windows Server 2012 R2\nos_build=9600\nos_arch=64-bit\n{devices}\nprobe=complete",
    )
    assert severities(eligibility.check_instance(instance(), "web01", "modernized", facts))["pv-drivers"] == severity


@pytest.mark.parametrize(
    ("os", "output"),
    [
        ("windows", ""),
        ("windows", "os_caption=Microsoft Windows Server 2012 R2\nos_build=9600\nos_arch=64-bit\n"),  # cut short
        ("linux", ""),
        ("linux", "os_id=rhel\nos_version=8.6\nos_arch=x86_64\nkernel=4.18.0\n"),  # no block devices listed
        ("linux", "os_id=rhel\nos_version=8.6\nos_arch=x86_64\nkernel=4.18.0\nprobe=complete\n"),
    ],
)
def test_an_empty_or_cut_short_probe_is_unknown_never_ok(os: str, output: str) -> None:
    facts = eligibility.parse_guest_output(os, output)
    [pv] = [
        f for f in eligibility.check_instance(instance(os=os), "m1", "modernized", facts) if f.check == "pv-drivers"
    ]
    assert (pv.severity, pv.evidence) == ("warning", "ssm-in-guest")
    assert pv.detail.startswith("unknown:") and "check by hand" in pv.remediation


def test_a_driver_found_before_the_output_was_cut_still_blocks() -> None:
    facts = eligibility.parse_guest_output("windows", "os_build=9600\npv_device=RedHat PV NIC Driver | Red Hat, Inc.\n")
    assert severities(eligibility.check_instance(instance(), "web01", "modernized", facts))["pv-drivers"] == "blocker"


def test_windows_guest_output_gives_release_and_architecture() -> None:
    facts = eligibility.parse_guest_output("windows", WINDOWS_OUTPUT)
    assert (facts.release, facts.architecture, facts.pv_drivers) == (
        OsRelease("windows", "2012 R2"),
        "x86_64",
        frozenset({"aws"}),
    )


def test_in_guest_release_wins_over_the_ami_name() -> None:
    # Launched from a 2008 R2 AMI, upgraded in place to 2012 R2: the guest is what counts.
    facts = eligibility.parse_guest_output("windows", WINDOWS_OUTPUT)
    old_ami = instance(image_name="Windows_Server-2008-R2_SP1-English-64Bit-Base")
    [os_finding] = [
        f for f in eligibility.check_instance(old_ami, "web01", "classic", facts) if f.check == "supported-os"
    ]
    assert (os_finding.detail.split(":")[0], os_finding.evidence, os_finding.severity) == (
        "Windows Server 2012 R2",
        "ssm-in-guest",
        "ok",
    )


def test_linux_guest_output_with_and_without_os_release() -> None:
    modern = eligibility.parse_guest_output(
        "linux", "os_id=rhel\nos_version=8.6\nos_arch=x86_64\nkernel=4.18.0\nblock_device=nvme0n1\nprobe=complete\n"
    )
    assert (modern.release, modern.pv_block_devices) == (OsRelease("rhel", "8.6"), ())
    rhel6 = eligibility.parse_guest_output(
        "linux",
        "release_file=Red Hat Enterprise Linux Server release 6.7 (Santiago)\nos_arch=x86_64\nblock_device=xvda\nblock_device=xvdf\n",
    )
    assert (rhel6.release, rhel6.pv_block_devices) == (OsRelease("rhel", "6.7"), ("xvda", "xvdf"))
    findings = eligibility.check_instance(instance(os="linux", hypervisor="xen"), "db01", "classic", rhel6)
    assert severities(findings) == {
        "instance-state": "ok",
        "64-bit": "ok",
        "hvm": "ok",
        "supported-os": "ok",
        "pv-drivers": "warning",
        "disks": "ok",
        "security-groups": "ok",
    }


# --- the SSM probe, with botocore's Stubber (moto's SSM returns no command output) ---


CMD_WIN = "0b5e7a4c-1f7e-4c6e-9d2a-3f1c2b8e9a01"  # SSM command ids are UUIDs (the Stubber checks)
CMD_LIN = "7c2d9e1a-5b3f-4a8e-8c6d-2e4f1a9b7c02"


def ssm_stub() -> tuple[Any, Stubber]:
    client = boto3.client("ssm", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def invocation(status: str, stdout: str = "", stderr: str = "") -> dict[str, Any]:
    return {"Status": status, "StandardOutputContent": stdout, "StandardErrorContent": stderr}


def test_probe_waits_for_each_invocation_and_parses_the_output() -> None:
    ssm, stub = ssm_stub()
    win = instance()
    lin = instance(instance_id="i-0fedcba9876543210", os="linux", name_tag="db01")
    stub.add_response(
        "send_command",
        {"Command": {"CommandId": CMD_WIN}},
        {
            "InstanceIds": [win.instance_id],
            "DocumentName": "AWS-RunPowerShellScript",
            "Parameters": {"commands": [eligibility.WINDOWS_PROBE]},
            "Comment": ANY,
            "TimeoutSeconds": ANY,
        },
    )
    stub.add_response(
        "send_command",
        {"Command": {"CommandId": CMD_LIN}},
        {
            "InstanceIds": [lin.instance_id],
            "DocumentName": "AWS-RunShellScript",
            "Parameters": {"commands": [eligibility.LINUX_PROBE]},
            "Comment": ANY,
            "TimeoutSeconds": ANY,
        },
    )
    # Right after SendCommand the invocation may not exist yet; then it runs; then it is done.
    stub.add_client_error(
        "get_command_invocation",
        "InvocationDoesNotExist",
        expected_params={"CommandId": CMD_WIN, "InstanceId": win.instance_id},
    )
    stub.add_response(
        "get_command_invocation", invocation("InProgress"), {"CommandId": CMD_LIN, "InstanceId": lin.instance_id}
    )
    stub.add_response(
        "get_command_invocation",
        invocation("Success", WINDOWS_OUTPUT),
        {"CommandId": CMD_WIN, "InstanceId": win.instance_id},
    )
    stub.add_response(
        "get_command_invocation",
        invocation("Failed", stderr="bash: uname: command not found"),
        {"CommandId": CMD_LIN, "InstanceId": lin.instance_id},
    )
    sleeps: list[float] = []
    with stub:
        results = eligibility.run_in_guest_checks(ssm, [win, lin], poll_seconds=5, sleep=sleeps.append)
    stub.assert_no_pending_responses()
    assert isinstance(results[win.instance_id], GuestFacts)
    assert results[win.instance_id].release == OsRelease("windows", "2012 R2")  # type: ignore[union-attr]
    assert results[lin.instance_id] == "SSM command Failed: bash: uname: command not found"
    assert sleeps == [5]
    [warning] = [
        f
        for f in eligibility.check_instance(lin, "db01", "modernized", results[lin.instance_id])
        if f.check == "in-guest-check"
    ]
    assert warning.severity == "warning" and "AmazonSSMManagedInstanceCore" in warning.remediation


def test_probe_reports_unmanaged_and_stopped_instances_without_waiting() -> None:
    ssm, stub = ssm_stub()
    running = instance()
    stopped = instance(instance_id="i-0fedcba9876543210", state="stopped")
    stub.add_client_error(
        "send_command",
        "InvalidInstanceId",
        "Instances [[i-0123456789abcdef0]] not in a valid state for account 123456789012",
    )
    with stub:
        results = eligibility.run_in_guest_checks(ssm, [running, stopped], sleep=lambda s: pytest.fail("must not wait"))
    assert results == {
        stopped.instance_id: "not running (state stopped)",
        running.instance_id: "SSM refused the command: Instances [[i-0123456789abcdef0]] not in a valid state for account 123456789012",
    }


def test_probe_gives_up_after_the_timeout() -> None:
    ssm, stub = ssm_stub()
    stub.add_response("send_command", {"Command": {"CommandId": CMD_WIN}}, None)
    stub.add_response("get_command_invocation", invocation("InProgress"), None)
    with stub:
        results = eligibility.run_in_guest_checks(ssm, [instance()], timeout_seconds=0, sleep=lambda s: None)
    assert results == {"i-0123456789abcdef0": "SSM command did not finish within 0 s"}


def test_findings_table_lists_worst_first_and_hides_passing_checks(fleet: Fleet) -> None:
    instances = discovery.describe_fleet(fleet.ec2, instance_ids=[fleet.ids["legacy_pv"], fleet.ids["db"]])
    findings = [f for i in instances for f in eligibility.check_instance(i, str(i.name_tag), "modernized")]
    lines = eligibility.findings_table(findings).splitlines()
    assert lines[0].split() == ["SEVERITY", "MACHINE", "INSTANCE", "CHECK", "SOURCE", "DETAIL"]
    assert lines[1].startswith("BLOCKER   legacy01")
    assert [line.split()[0] for line in lines[1:] if not line.startswith(" ")] == [
        "BLOCKER", "WARNING", "WARNING", "INFO", "INFO",
    ]  # fmt: skip
    assert lines[2].strip().startswith("fix: move the workload to an HVM instance first")
    assert "OK" not in {line.split()[0] for line in lines[1:]}
    with_ok = eligibility.findings_table(findings, show_ok=True).splitlines()
    assert {line.split()[0] for line in with_ok[1:] if not line.startswith(" ")} == {"BLOCKER", "WARNING", "INFO", "OK"}


# --- the support matrix's further limits (issue 25) ---


def _one(findings: list[eligibility.Finding], check: str) -> eligibility.Finding:
    [found] = [f for f in findings if f.check == check]
    return found


@pytest.mark.parametrize(
    ("boot_mode", "os_gib", "data", "severity", "detail"),
    [
        ("legacy-bios", 2048, [], "ok", "1 disks (/dev/sda1 2048 GiB), Generation 1"),
        (
            "legacy-bios",
            2049,
            [],
            "blocker",
            "OS disk /dev/sda1 has 2,049 GiB; GB of OS disk, Generation 1 machines: 2,048",
        ),
        ("uefi", 4095, [], "ok", "Generation 2"),
        ("uefi", 4096, [], "blocker", "GB of OS disk, Generation 2 machines: 4,095"),
        ("uefi", 100, [32768] * 64, "ok", "65 disks"),
        ("uefi", 100, [10] * 65, "blocker", "65 data disks; data disks per machine: 64"),
        ("uefi", 100, [32769], "blocker", "data disk /dev/sdf0 has 32,769 GiB; GB per data disk"),
    ],
)
def test_disk_count_and_sizes_follow_the_matrix(
    boot_mode: str, os_gib: int, data: list[int], severity: str, detail: str
) -> None:
    volumes = (Volume("/dev/sda1", os_gib, True), *(Volume(f"/dev/sdf{n}", g, False) for n, g in enumerate(data)))
    found = _one(
        eligibility.check_instance(instance(boot_mode=boot_mode, volumes=volumes), "web01", "modernized"), "disks"
    )
    assert found.severity == severity and detail in found.detail, found.detail
    if severity == "blocker":
        assert "vmware-physical-azure-support-matrix" in found.detail and found.remediation


def test_linux_on_nitro_is_flagged_with_the_matrixs_nvme_wording() -> None:
    found = _one(eligibility.check_instance(instance(os="linux"), "db01", "modernized"), "nvme")
    assert found.severity == "warning"
    assert (
        '"Guest/server - NVMe interface: Yes, for Windows machines. Not supported for Linux machines."' in found.detail
    )
    assert "read 2026-12-06" in found.detail
    windows = eligibility.check_instance(instance(), "web01", "modernized")
    assert not [f for f in windows if f.check == "nvme"]


def test_an_interface_at_five_security_groups_has_no_room_for_the_waves() -> None:
    found = _one(eligibility.check_instance(instance(security_groups=5), "web01", "modernized"), "security-groups")
    assert found.severity == "warning" and "security groups per network interface (default quota): 5" in found.detail


WINDOWS_GUEST = "os_caption=Microsoft Windows Server 2019 Datacenter\nos_build=17763\nos_arch=64-bit\n"


@pytest.mark.parametrize(
    ("lines", "check", "quoted"),
    [
        (
            "secure_boot=on\nbitlocker=off\nos_disk=basic",
            "secure-boot",
            "as long as the Secure Boot setting is disabled",
        ),
        ("secure_boot=off\nbitlocker=on\nos_disk=basic", "bitlocker", "BitLocker must be disabled before"),
        ("secure_boot=off\nbitlocker=off\nos_disk=dynamic", "dynamic-os-disk", "OS disk must be a basic disk."),
    ],
)
def test_what_only_the_windows_guest_knows_blocks_with_the_matrixs_words(lines: str, check: str, quoted: str) -> None:
    facts = eligibility.parse_guest_output("windows", WINDOWS_GUEST + lines + "\nprobe=complete\n")
    findings = eligibility.check_instance(instance(), "web01", "modernized", facts)
    blockers = {f.check: f for f in findings if f.severity == "blocker"}
    assert list(blockers) == [check] and quoted in blockers[check].detail
    assert blockers[check].evidence == "ssm-in-guest"


def test_secure_boot_in_a_linux_guest_blocks_and_off_passes() -> None:
    on = eligibility.parse_guest_output(
        "linux", "os_id=rhel\nos_version=8.6\nblock_device=nvme0n1\nsecure_boot=on\nprobe=complete\n"
    )
    assert (
        _one(eligibility.check_instance(instance(os="linux"), "db01", "modernized", on), "secure-boot").severity
        == "blocker"
    )
    off = eligibility.parse_guest_output(
        "linux", "os_id=rhel\nos_version=8.6\nblock_device=nvme0n1\nsecure_boot=off\nprobe=complete\n"
    )
    assert (
        _one(eligibility.check_instance(instance(os="linux"), "db01", "modernized", off), "secure-boot").severity
        == "ok"
    )


@pytest.mark.parametrize(
    ("os_id", "version", "kernel", "severity"),
    [
        ("ubuntu", "22.04", "6.8.0-1021-aws", "blocker"),  # what Ubuntu AMIs boot: in no table of the matrix
        ("ubuntu", "22.04", "5.15.0-100-generic", "ok"),
        ("ubuntu", "22.04", "6.8.0-1022-azure", "ok"),
        ("debian", "12", "6.1.0-32-cloud-amd64", "ok"),
        ("debian", "11", "6.1.0-0.deb11.32-amd64", "ok"),
        ("debian", "12", "6.1.0-32-cloud-arm64", "blocker"),
        ("sles", "15.5", "5.14.21-150500.55.39-default", "ok"),
        ("sles", "15.5", "6.4.0-150600.8.23-azure:6", "ok"),
    ],
)
def test_the_running_kernel_must_be_a_flavour_the_matrix_lists(
    os_id: str, version: str, kernel: str, severity: str
) -> None:
    facts = eligibility.parse_guest_output(
        "linux", f"os_id={os_id}\nos_version={version}\nkernel={kernel}\nblock_device=nvme0n1\nprobe=complete\n"
    )
    found = _one(eligibility.check_instance(instance(os="linux"), "app01", "modernized", facts), "kernel")
    assert found.severity == severity, found.detail
    if severity == "blocker":
        assert (
            "tables list only" in found.detail and "read 2026-12-06" in found.detail and "install" in found.remediation
        )


def test_a_rhel_kernel_is_left_to_the_supported_os_check() -> None:
    facts = eligibility.parse_guest_output(
        "linux", "os_id=rhel\nos_version=8.6\nkernel=4.18.0-372.9.1.el8.x86_64\nblock_device=nvme0n1\nprobe=complete\n"
    )
    assert not [
        f for f in eligibility.check_instance(instance(os="linux"), "db01", "modernized", facts) if f.check == "kernel"
    ]
