"""Can ASR replicate this EC2 instance? Findings with a severity and a remediation.

Most checks are pure functions over what the EC2 API returned (`Ec2Instance`). Two facts only the
guest knows: the exact OS version (the AMI name is a hint, and the AMI may be gone or the guest
upgraded) and which paravirtual drivers Windows has loaded. `run_in_guest_checks` asks the guest
through SSM Run Command and `parse_guest_output` reads the answer.

Sources (see docs/aws-side.md for the full table):
- the seed tutorial (2017): 64-bit Windows Server 2008 R2 SP1 or later, 2012, 2012 R2, or RHEL 6.7,
  HVM only, one Citrix PV or AWS PV driver, no RedHat PV driver;
- the modernized matrix: MicrosoftDocs/azure-docs articles/site-recovery/vmware-physical-azure-support-matrix.md
  (ms.date 08/29/2025), "Replicated machines", "Linux file systems/guest storage";
- AWS "Paravirtual drivers for Windows instances" (AWSEC2 UserGuide xen-drivers-overview).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from components import limits
from components.architecture import profile
from migrate_tool.aws.discovery import Ec2Instance

Severity = Literal["blocker", "warning", "info", "ok"]
SEVERITY_ORDER: dict[str, int] = {"blocker": 0, "warning": 1, "info": 2, "ok": 3}
MATRIX_SOURCE = "vmware-physical-azure-support-matrix.md (2025-08-29)"
MATRIX = f"{limits.PHYSICAL_MATRIX}, read {limits.READ}"
SEED_SOURCE = "seed tutorial 'Migrate AWS VMs to Azure' (2017)"


@dataclass(frozen=True)
class Finding:
    machine: str
    instance_id: str
    check: str
    severity: Severity
    detail: str
    remediation: str
    evidence: str
    """Where the fact comes from: 'ec2-api', 'ami-name' or 'ssm-in-guest'."""

    def to_json(self) -> dict[str, str]:
        return asdict(self)


# --- Supported operating systems -----------------------------------------------------------------

Version = tuple[int, ...]
Ranges = tuple[tuple[str, str], ...]

# Windows Server releases, from the label we derive from an AMI name or a guest's build number.
WINDOWS_BUILDS: dict[int, str] = {
    7600: "2008 R2",
    7601: "2008 R2 SP1",
    6001: "2008",
    6002: "2008 SP2",
    6003: "2008 SP2",
    9200: "2012",
    9600: "2012 R2",
    14393: "2016",
    17763: "2019",
    20348: "2022",
    26100: "2025",
}

SUPPORTED_WINDOWS: dict[str, dict[str, str]] = {
    "classic": {"2008 R2 SP1": "", "2012": "", "2012 R2": ""},
    "modernized": {
        "2008 R2 SP1": "",
        "2008 SP2": "supported for migration only",
        "2012": "",
        "2012 R2": "",
        "2016": "",
        "2019": "",
        "2022": "",
        "2025": "",
    },
}

SUPPORTED_LINUX: dict[str, dict[str, Ranges]] = {
    # The seed tutorial names exactly one Linux release.
    "classic": {"rhel": (("6.7", "6.7"),)},
    "modernized": {
        "rhel": (("5.2", "5.11"), ("6.1", "6.10"), ("7.0", "7.9"), ("8.0", "8.10"), ("9.0", "9.5")),
        "ubuntu": (("14.04", "14.04"), ("16.04", "16.04"), ("18.04", "18.04"), ("20.04", "20.04"), ("22.04", "22.04")),
        "debian": (("7", "7.99"), ("8", "8.99"), ("9.1", "9.13"), ("10", "10.99"), ("11", "11.99"), ("12", "12.99")),
        "sles": (("11.3", "11.4"), ("12.1", "12.5"), ("15", "15.5")),
        "ol": (("6.4", "6.10"), ("7.0", "7.9"), ("8.0", "8.9"), ("9.0", "9.5")),
        "rocky": (("8.7", "8.9"), ("9.0", "9.1")),
        "almalinux": (("9.5", "9.5"),),
    },
}
LINUX_NAMES = {
    "rhel": "Red Hat Enterprise Linux",
    "ubuntu": "Ubuntu",
    "debian": "Debian",
    "sles": "SUSE Linux Enterprise Server",
    "ol": "Oracle Linux",
    "rocky": "Rocky Linux",
    "almalinux": "AlmaLinux",
    "centos": "CentOS",
    "amzn": "Amazon Linux",
}


@dataclass(frozen=True)
class OsRelease:
    family: str
    """'windows' or an os-release ID such as 'rhel', 'ubuntu', 'sles'."""
    version: str
    """Windows: a label from WINDOWS_BUILDS ('2012 R2'); Linux: VERSION_ID ('7.9', '22.04')."""

    def __str__(self) -> str:
        if self.family == "windows":
            return f"Windows Server {self.version}"
        return f"{LINUX_NAMES.get(self.family, self.family)} {self.version}"


def _version(text: str) -> Version:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def os_support(release: OsRelease, architecture: str) -> tuple[bool, str]:
    """Whether the architecture's support list has the release, and the note that goes with it."""
    source = SEED_SOURCE if profile(architecture).is_classic else MATRIX_SOURCE
    if release.family == "windows":
        listed = SUPPORTED_WINDOWS[architecture]
        if release.version in listed:
            return True, listed[release.version] or f"listed in the {source}"
        return False, f"not listed in the {source} (listed: Windows Server {', '.join(listed)})"
    ranges = SUPPORTED_LINUX[architecture].get(release.family)
    if ranges is None:
        known = ", ".join(LINUX_NAMES.get(f, f) for f in SUPPORTED_LINUX[architecture])
        return False, f"{LINUX_NAMES.get(release.family, release.family)} is not in the {source} (listed: {known})"
    version = _version(release.version)
    for low, high in ranges:
        if _version(low) <= version <= _version(high) + (99,) * (3 - len(_version(high))):
            return True, f"listed in the {source}; only the distribution's stock kernels are supported"
    shown = ", ".join(lo if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)
    return False, f"version {release.version} is not listed in the {source} (listed: {shown})"


# The name patterns of Amazon-, Red Hat-, Canonical-, SUSE-, Debian- and Oracle-published AMIs.
_AMI_LINUX = [
    (r"\bRHEL-(\d+\.\d+)", "rhel"),
    (r"ubuntu-[a-z]+-(\d\d\.\d\d)", "ubuntu"),
    (r"\bdebian-(\d+)", "debian"),
    (r"suse-sles-(\d+)(?:-sp(\d+))?", "sles"),
    (r"\bOL(\d+\.\d+)", "ol"),
    (r"\bRocky-(\d+)-EC2[^\d]*(\d+\.\d+)?", "rocky"),
    (r"\bCentOS[ -](?:Linux )?(\d+(?:\.\d+)?)", "centos"),
    # Amazon Linux 2023 (al2023-ami-2023...), 2 (amzn2-ami-...) and 1 (amzn-ami-hvm-2018.03...), told apart.
    (r"\bal2023-ami", "amzn2023"),
    (r"\bamzn2-ami", "amzn2"),
    (r"\bamzn-ami-[a-z-]*?(\d{4}\.\d\d)", "amzn1"),
]


def release_from_ami(instance: Ec2Instance) -> OsRelease | None:
    """A best guess at the OS from the AMI name/description; None when it says nothing useful."""
    text = " ".join(filter(None, [instance.image_name, instance.image_description]))
    if not text:
        return None
    if instance.os == "windows":
        match = re.search(r"Windows_Server-(\d{4})(?:-R2)?", text)
        if not match:
            return None
        label = match.group(1) + (" R2" if "-R2" in match.group(0) else "")
        if label == "2008 R2" and re.search(r"R2_SP1", text):
            label += " SP1"
        elif label == "2008" and re.search(r"2008-SP2", text):
            label += " SP2"
        return OsRelease("windows", label)
    for pattern, family in _AMI_LINUX:
        match = re.search(pattern, text, flags=re.IGNORECASE)
        if not match:
            continue
        if family in ("amzn2023", "amzn2"):
            return OsRelease("amzn", family.removeprefix("amzn"))
        if family == "amzn1":
            return OsRelease("amzn", match.group(1))  # Amazon Linux 1's VERSION_ID is its release, e.g. 2018.03
        if family == "sles":
            return OsRelease("sles", match.group(1) + (f".{match.group(2)}" if match.group(2) else ""))
        if family == "rocky":
            return OsRelease("rocky", match.group(2) or match.group(1))
        return OsRelease(family, match.group(1))
    return None


# --- In-guest facts ------------------------------------------------------------------------------

# PowerShell 2.0 compatible (Windows Server 2008 R2 ships it): WMI, no CIM, no ConvertTo-Json.
WINDOWS_PROBE = r"""
$os = Get-WmiObject Win32_OperatingSystem
"os_caption=" + $os.Caption
"os_build=" + $os.BuildNumber
"os_arch=" + $os.OSArchitecture
Get-WmiObject Win32_PnPSignedDriver | Where-Object { $_.DeviceName -match 'PV' } |
  ForEach-Object { "pv_device=" + $_.DeviceName + " | " + $_.Manufacturer }
$sb = Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\SecureBoot\State' -ErrorAction SilentlyContinue
"secure_boot=" + $(if ($sb -and $sb.UEFISecureBootEnabled -eq 1) { 'on' } else { 'off' })
$bl = Get-WmiObject -Namespace 'root\cimv2\security\microsoftvolumeencryption' -Class Win32_EncryptableVolume -ErrorAction SilentlyContinue |
  Where-Object { $_.DriveLetter -eq $env:SystemDrive }
"bitlocker=" + $(if ($bl -and $bl.ProtectionStatus -ne 0) { 'on' } else { 'off' })
$part = Get-WmiObject Win32_LogicalDiskToPartition | Where-Object { $_.Dependent -match ('"' + $env:SystemDrive + '"') } |
  ForEach-Object { [wmi]$_.Antecedent }
$index = if ($part) { @($part)[0].DiskIndex } else { 0 }
$ldm = Get-WmiObject Win32_DiskPartition | Where-Object { $_.DiskIndex -eq $index -and $_.Type -match 'Logical Disk Manager' }
"os_disk=" + $(if ($ldm) { 'dynamic' } else { 'basic' })
"probe=complete"
""".strip()

# RHEL/CentOS 6 and SLES 11 have no /etc/os-release, only /etc/redhat-release or /etc/SuSE-release.
LINUX_PROBE = r"""
if [ -r /etc/os-release ]; then . /etc/os-release; echo "os_id=$ID"; echo "os_version=$VERSION_ID"; fi
for f in /etc/redhat-release /etc/SuSE-release; do [ -r "$f" ] && echo "release_file=$(head -n1 "$f")"; done
echo "os_arch=$(uname -m)"
echo "kernel=$(uname -r)"
for d in /sys/block/*; do echo "block_device=$(basename "$d")"; done
sb=off; for f in /sys/firmware/efi/efivars/SecureBoot-*; do [ -r "$f" ] && [ "$(od -An -tu1 -j4 -N1 "$f" | tr -d ' ')" = 1 ] && sb=on; done
echo "secure_boot=$sb"
echo "probe=complete"
""".strip()


@dataclass(frozen=True)
class GuestFacts:
    release: OsRelease | None
    architecture: str | None
    pv_drivers: frozenset[str]
    """Windows PV driver families found: 'aws', 'citrix', 'redhat'."""
    pv_block_devices: tuple[str, ...]
    """Linux block devices exported by Xen's paravirtual driver (xvd*)."""
    raw: str
    complete: bool = True
    """Whether the probe ran to its last line; when not (empty or cut-short output), an absence proves nothing."""
    secure_boot: bool | None = None
    """UEFI Secure Boot on (None: the probe did not say)."""
    bitlocker: bool | None = None
    """Windows: BitLocker protects the system drive."""
    dynamic_os_disk: bool | None = None
    """Windows: the system drive is on a dynamic (Logical Disk Manager) disk."""
    kernel: str | None = None
    """Linux: the running kernel (`uname -r`)."""


def _classify_pv(line: str) -> str | None:
    text = line.lower()
    if "red hat" in text or "redhat" in text:
        return "redhat"
    if "citrix" in text or "xenserver" in text:
        return "citrix"
    if "aws pv" in text or "amazon" in text:
        return "aws"
    return None


def parse_guest_output(os: str, text: str) -> GuestFacts:
    """Read the `key=value` lines of WINDOWS_PROBE or LINUX_PROBE."""
    values: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            values.setdefault(key, []).append(value.strip())

    def first(key: str) -> str | None:
        return values.get(key, [None])[0]

    release: OsRelease | None = None
    if os == "windows":
        build = first("os_build")
        caption = first("os_caption") or ""
        label = WINDOWS_BUILDS.get(int(build)) if build and build.isdigit() else None
        if label and "server" in caption.lower():
            release = OsRelease("windows", label)
        elif build:
            release = OsRelease("windows", f"build {build} ({caption or 'unknown edition'})")
        arch = first("os_arch")
        architecture = "x86_64" if arch and "64" in arch else ("i386" if arch else None)
        drivers = frozenset(filter(None, (_classify_pv(d) for d in values.get("pv_device", []))))
        return GuestFacts(
            release, architecture, drivers, (), text, first("probe") == "complete",
            secure_boot=_switch(first("secure_boot")), bitlocker=_switch(first("bitlocker")),
            dynamic_os_disk={"dynamic": True, "basic": False}.get(first("os_disk") or ""),
        )  # fmt: skip
    if first("os_id"):
        release = OsRelease(str(first("os_id")).lower(), first("os_version") or "")
    for line in values.get("release_file", []):
        match = re.search(r"release (\d+(?:\.\d+)?)", line)
        if release is None and match:
            family = "rhel" if "red hat" in line.lower() else ("centos" if "centos" in line.lower() else "sles")
            release = OsRelease(family, match.group(1))
    devices = tuple(d for d in values.get("block_device", []) if d.startswith("xvd"))
    complete = first("probe") == "complete" and bool(values.get("block_device"))
    return GuestFacts(
        release, first("os_arch"), frozenset(), devices, text, complete,
        secure_boot=_switch(first("secure_boot")), kernel=first("kernel"),
    )  # fmt: skip


def _switch(value: str | None) -> bool | None:
    return {"on": True, "off": False}.get(value or "")


TERMINAL = {
    "Success",
    "Failed",
    "Cancelled",
    "TimedOut",
    "Undeliverable",
    "Terminated",
    "InvalidPlatform",
    "AccessDenied",
}


def run_in_guest_checks(
    ssm: Any,
    instances: Sequence[Ec2Instance],
    *,
    timeout_seconds: float = 300,
    poll_seconds: float = 3,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, GuestFacts | str]:
    """Run the probe on every instance through SSM Run Command: facts, or why there are none.

    One command per OS (AWS-RunPowerShellScript / AWS-RunShellScript, both AWS-owned documents).
    The instance needs the SSM Agent and an instance profile with AmazonSSMManagedInstanceCore.
    """
    results: dict[str, GuestFacts | str] = {}
    pending: dict[str, tuple[str, str]] = {}
    for os, document, probe in (
        ("windows", "AWS-RunPowerShellScript", WINDOWS_PROBE),
        ("linux", "AWS-RunShellScript", LINUX_PROBE),
    ):
        ids = [i.instance_id for i in instances if i.os == os and i.state == "running"]
        results.update(
            {i.instance_id: f"not running (state {i.state})" for i in instances if i.os == os and i.state != "running"}
        )
        for start in range(0, len(ids), 50):  # SendCommand takes at most 50 instance ids
            batch = ids[start : start + 50]
            try:
                command = ssm.send_command(
                    InstanceIds=batch,
                    DocumentName=document,
                    Parameters={"commands": [probe]},
                    Comment="pulumi-asr-migration eligibility probe (read-only)",
                    TimeoutSeconds=max(30, int(timeout_seconds)),
                )["Command"]
            except ClientError as err:
                reason = (
                    f"SSM refused the command: {err.response['Error'].get('Message') or err.response['Error']['Code']}"
                )
                results.update({i: reason for i in batch})
                continue
            pending.update({i: (command["CommandId"], os) for i in batch})
    deadline = time.monotonic() + timeout_seconds
    while pending:
        for instance_id, (command_id, os) in list(pending.items()):
            try:
                answer = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
            except ClientError as err:
                if err.response["Error"]["Code"] == "InvocationDoesNotExist":
                    continue  # not registered yet: SSM is eventually consistent right after SendCommand
                raise
            status = answer["Status"]
            if status == "Success":
                results[instance_id] = parse_guest_output(os, answer.get("StandardOutputContent", ""))
            elif status in TERMINAL:
                detail = (answer.get("StandardErrorContent") or answer.get("StatusDetails") or "").strip()
                results[instance_id] = f"SSM command {status}" + (f": {detail[:200]}" if detail else "")
            else:
                continue
            del pending[instance_id]
        if pending and time.monotonic() >= deadline:
            results.update({i: f"SSM command did not finish within {timeout_seconds:g} s" for i in pending})
            break
        if pending:
            sleep(poll_seconds)
    return results


# --- The checks ----------------------------------------------------------------------------------


def check_instance(
    instance: Ec2Instance, machine: str, architecture: str, guest: GuestFacts | str | None = None
) -> list[Finding]:
    """Every check for one instance; `guest` is the in-guest facts, why they are missing, or None (not asked)."""
    facts = guest if isinstance(guest, GuestFacts) else None

    def finding(check: str, severity: Severity, detail: str, remediation: str, evidence: str = "ec2-api") -> Finding:
        return Finding(machine, instance.instance_id, check, severity, detail, remediation, evidence)

    findings = [
        _state(instance, finding),
        _bitness(instance, facts, finding),
        _virtualization(instance, finding),
        _os(instance, architecture, facts, finding),
        _drivers(instance, facts, finding),
        _disks(instance, finding),
        _security_groups(instance, finding),
        *_guest_storage(instance, facts, finding),
        *_kernel(facts, finding),
    ]
    if isinstance(guest, str):
        findings.append(
            finding(
                "in-guest-check",
                "warning",
                f"in-guest check not done: {guest}",
                "make the instance an SSM managed node (SSM Agent running, instance profile with"
                " AmazonSSMManagedInstanceCore, outbound 443 to the SSM endpoints) and run discover --in-guest again",
                "ssm-in-guest",
            )
        )
    return findings


Make = Callable[..., Finding]


def _state(instance: Ec2Instance, finding: Make) -> Finding:
    state = instance.state
    if state == "running":
        return finding("instance-state", "ok", "running", "")
    if state in ("stopped", "stopping", "pending"):
        return finding(
            "instance-state",
            "warning",
            f"instance is {state}; the Mobility agent only replicates a running machine",
            "start the instance before enabling replication",
        )
    return finding(
        "instance-state",
        "blocker",
        f"instance is {state}",
        "a terminated instance cannot be migrated: remove it from the wave",
    )


def _bitness(instance: Ec2Instance, facts: GuestFacts | None, finding: Make) -> Finding:
    arch = (facts.architecture if facts and facts.architecture else None) or instance.architecture
    evidence = "ssm-in-guest" if facts and facts.architecture else "ec2-api"
    if arch in ("x86_64", "x86_64_mac"):
        return finding("64-bit", "ok", f"architecture {arch}", "", evidence)
    if arch is None:
        return finding(
            "64-bit", "warning", "EC2 did not report the architecture", "check that the OS is 64-bit x86", evidence
        )
    why = "32-bit systems are not supported" if arch == "i386" else "the Mobility agent installers are x86-64 only"
    return finding(
        "64-bit",
        "blocker",
        f"architecture {arch}: {why} ({MATRIX_SOURCE})",
        "rebuild the workload on a 64-bit x86 instance, or migrate it another way",
        evidence,
    )


def _virtualization(instance: Ec2Instance, finding: Make) -> Finding:
    kind = instance.virtualization_type
    if kind == "hvm":
        return finding("hvm", "ok", "HVM virtualization", "")
    if kind == "paravirtual":
        return finding(
            "hvm",
            "blocker",
            f"paravirtual (PV) instance: the {SEED_SOURCE} supports HVM-based instances only",
            "move the workload to an HVM instance first (AWS: 'Migrate from PV to HVM'), then discover it again",
        )
    return finding(
        "hvm", "warning", "EC2 did not report the virtualization type", "check in the EC2 console that it is HVM"
    )


def _os(instance: Ec2Instance, architecture: str, facts: GuestFacts | None, finding: Make) -> Finding:
    release, evidence = (
        (facts.release, "ssm-in-guest") if facts and facts.release else (release_from_ami(instance), "ami-name")
    )
    if release is None:
        return finding(
            "supported-os",
            "warning",
            f"cannot tell the {instance.os} release from EC2 (AMI {instance.image_id} has no recognizable name, or is gone)",
            "run discover --in-guest, or check the OS against docs/aws-side.md by hand",
            "ec2-api",
        )
    supported, note = os_support(release, architecture)
    if not supported:
        return finding(
            "supported-os",
            "blocker",
            f"{release}: {note}",
            "upgrade the OS to a listed release before replicating, or migrate this machine another way",
            evidence,
        )
    if evidence == "ami-name":
        note += "; taken from the AMI name, the guest may have been upgraded since (confirm with --in-guest)"
    severity: Severity = "info" if "migration only" in note or evidence == "ami-name" else "ok"
    return finding("supported-os", severity, f"{release}: {note}", "", evidence)


def _probe_cut_short(finding: Make) -> Finding:
    """An empty or cut-short answer proves no absence: say unknown, never ok (a found driver still counts)."""
    return finding(
        "pv-drivers",
        "warning",
        "unknown: the in-guest probe's output was empty or cut short, so the absence of PV drivers is not proven",
        "check by hand (Windows: Device Manager, at most one of AWS PV / Citrix PV, no RedHat PV;"
        " Linux: no xvd* devices in /sys/block), or run discover --in-guest again",
        "ssm-in-guest",
    )


def _drivers(instance: Ec2Instance, facts: GuestFacts | None, finding: Make) -> Finding:
    if instance.os == "linux":
        if facts is not None:
            if facts.pv_block_devices:
                return finding(
                    "pv-drivers",
                    "warning",
                    f"Xen paravirtual block devices {', '.join(facts.pv_block_devices)}: the {MATRIX_SOURCE} says devices"
                    " exported by paravirtualized drivers aren't supported for AWS (physical)",
                    "move the instance to a Nitro instance type (NVMe devices) before replicating",
                    "ssm-in-guest",
                )
            if not facts.complete:
                return _probe_cut_short(finding)
            return finding("pv-drivers", "ok", "no Xen paravirtual block devices", "", "ssm-in-guest")
        if instance.hypervisor == "nitro":
            return finding(
                "nvme",
                "warning",
                f'{instance.instance_type} is a Nitro instance type, whose disks are NVMe: "Guest/server - NVMe'
                f' interface: Yes, for Windows machines. Not supported for Linux machines." ({MATRIX})',
                "the matrix supports neither of the disk interfaces a Linux EC2 instance can have (NVMe on Nitro, Xen"
                " paravirtual devices on Xen types), while Microsoft's AWS migration tutorial moves such instances:"
                " test-fail this machine over first (phase test), and open a case with Microsoft if it fails",
            )
        return finding(
            "pv-drivers",
            "warning",
            f"{instance.instance_type} is a Xen instance type; its disks may be Xen PV devices (xvd*), which the matrix"
            " does not support for AWS",
            "run discover --in-guest to check, or move to a Nitro instance type",
        )
    if facts is None:
        return finding(
            "pv-drivers",
            "warning",
            "which PV drivers Windows has loaded is only visible inside the guest (the EC2 API does not report it)",
            "run discover --in-guest (SSM), or check Device Manager: at most one of AWS PV / Citrix PV, no RedHat PV",
        )
    found = facts.pv_drivers
    if "redhat" in found:
        return finding(
            "pv-drivers",
            "blocker",
            f"RedHat PV driver present ({', '.join(sorted(found))}): instances running it are not supported ({SEED_SOURCE})",
            "upgrade to AWS PV drivers (AWS: 'Upgrade PV drivers on Windows instances'), then check again",
            "ssm-in-guest",
        )
    if len(found) > 1:
        return finding(
            "pv-drivers",
            "blocker",
            f"more than one PV driver family present ({', '.join(sorted(found))}); the server may only have one",
            "remove the Citrix PV drivers and keep the AWS PV drivers (AWS: 'Upgrade PV drivers on Windows instances')",
            "ssm-in-guest",
        )
    if not facts.complete:
        return _probe_cut_short(finding)
    detail = f"{next(iter(found))} PV driver only" if found else "no Xen PV drivers loaded (Nitro: ENA/NVMe)"
    return finding("pv-drivers", "ok", detail, "", "ssm-in-guest")


def _disks(instance: Ec2Instance, finding: Make) -> Finding:
    """Disk count and sizes against the matrix: OS disk by generation, at most 64 data disks of 32 TB each."""
    if not instance.volumes:
        return finding("disks", "warning", "EC2 reported no EBS volumes", "check the instance's volumes by hand")
    root, data = instance.volumes[0], [v for v in instance.volumes if not v.root]
    gen2 = (instance.boot_mode or "").startswith("uefi")
    os_limit = limits.OS_DISK_GB_GEN2 if gen2 else limits.OS_DISK_GB_GEN1
    problems = []
    if root.root and root.size_gib is not None and root.size_gib > os_limit.value:
        problems.append(f"OS disk {root.device} has {root.size_gib:,} GiB; {os_limit.cite()}")
    if len(data) > limits.DATA_DISKS.value:
        problems.append(f"{len(data)} data disks; {limits.DATA_DISKS.cite()}")
    problems += [
        f"data disk {v.device} has {v.size_gib:,} GiB; {limits.DATA_DISK_GB.cite()}"
        for v in data
        if v.size_gib is not None and v.size_gib > limits.DATA_DISK_GB.value
    ]
    if problems:
        return finding(
            "disks", "blocker", "; ".join(problems), "shrink or split the disk (or leave it out) before replicating"
        )
    sizes = ", ".join(f"{v.device} {v.size_gib if v.size_gib is not None else '?'} GiB" for v in instance.volumes)
    return finding("disks", "ok", f"{len(instance.volumes)} disks ({sizes}), Generation {2 if gen2 else 1}", "")


def _security_groups(instance: Ec2Instance, finding: Make) -> Finding:
    """The wave attaches the group the appliance admits beside the instance's own (components/source_prep.py)."""
    limit = limits.SECURITY_GROUPS_PER_INTERFACE
    if instance.security_groups is not None and instance.security_groups >= limit.value:
        return finding(
            "security-groups",
            "warning",
            f"its primary network interface has {instance.security_groups} security groups; the wave adds the one"
            f" the appliance admits, past {limit.cite()}",
            "remove a group from the interface, or raise the quota (up to 16) before the wave's first `pulumi up`",
        )
    return finding("security-groups", "ok", f"{instance.security_groups} security group(s) on its interface", "")


def _guest_storage(instance: Ec2Instance, facts: GuestFacts | None, finding: Make) -> list[Finding]:
    """Secure Boot, BitLocker and a dynamic OS disk: only the guest knows, and the matrix refuses each."""
    if facts is None:
        return []
    checks = [
        ("secure-boot", facts.secure_boot,
         "UEFI Secure Boot is on: \"UEFI boot is supported as long as the Secure Boot setting is disabled.\"",
         "turn Secure Boot off for the instance (EC2 UEFI variables) before replicating"),
        ("bitlocker", facts.bitlocker,
         "BitLocker protects the system drive: \"BitLocker must be disabled before you enable replication\"",
         "suspend and decrypt BitLocker (manage-bde -off C:) and keep it off while the machine replicates"),
        ("dynamic-os-disk", facts.dynamic_os_disk,
         "the system drive is on a dynamic disk: \"OS disk must be a basic disk.\"",
         "convert the OS disk to a basic disk before replicating"),
    ]  # fmt: skip
    return [
        finding(check, "blocker", f"{detail} ({MATRIX})", remedy, "ssm-in-guest")
        if found
        else finding(check, "ok", f"{check}: not in the way", "", "ssm-in-guest")
        for check, found, detail, remedy in checks
        if found is not None
    ]


KERNEL_FLAVOURS: dict[str, tuple[str, ...]] = {
    "ubuntu": ("generic", "azure"),
    "debian": ("amd64", "cloud-amd64"),
    "sles": ("default", "azure"),
}
"""The kernel flavours the matrix's kernel tables list per distribution (Mobility service 9.62-9.66; SLES's stock
`-default` kernels by its "all stock kernels are supported"). No table lists an `-aws` kernel, which Ubuntu and
Debian AMIs boot by default. RHEL-family releases take "only the stock kernels that are part of the distribution
minor version release/update", which the supported-os check already says."""


def _kernel(facts: GuestFacts | None, finding: Make) -> list[Finding]:
    if facts is None or facts.release is None or facts.kernel is None:
        return []
    allowed = KERNEL_FLAVOURS.get(facts.release.family)
    if allowed is None:
        return []
    match = re.search(r"-([a-z][a-z0-9-]*)$", facts.kernel.split(":")[0])
    flavour = match.group(1) if match else "stock"
    if flavour in allowed:
        return [finding("kernel", "ok", f"kernel {facts.kernel}: a {flavour} kernel", "", "ssm-in-guest")]
    package = {"ubuntu": "linux-generic", "debian": "linux-image-amd64", "sles": "kernel-default"}[facts.release.family]
    return [
        finding(
            "kernel",
            "blocker",
            f"kernel {facts.kernel} is a {flavour} kernel; the matrix's {LINUX_NAMES[facts.release.family]} kernel"
            f" tables list only {' and '.join(allowed)} kernels ({MATRIX})",
            f"install {package}, make it the default boot entry, reboot, check that the version is in the matrix's"
            " table for your Mobility service version, then run discover --in-guest again",
            "ssm-in-guest",
        )
    ]


# --- Reporting -----------------------------------------------------------------------------------


def blocked_machines(findings: Iterable[Finding]) -> set[str]:
    return {f.machine for f in findings if f.severity == "blocker"}


def findings_table(findings: Sequence[Finding], *, show_ok: bool = False) -> str:
    """A plain-text table, worst first, each remediation on the line below its finding.

    Passing checks are left out unless `show_ok`, so the table stays about what needs doing.
    """
    rows = [f for f in findings if show_ok or f.severity != "ok"]
    if not rows:
        return "no findings: every check passed"
    rows.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.machine, f.check))
    cells = [("SEVERITY", "MACHINE", "INSTANCE", "CHECK", "SOURCE")]
    cells += [(f.severity.upper(), f.machine, f.instance_id, f.check, f.evidence) for f in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(5)]
    indent = " " * (sum(widths) + 2 * 5)

    def line(columns: tuple[str, ...], detail: str) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)) + "  " + detail

    lines = [line(cells[0], "DETAIL")]
    for columns, finding in zip(cells[1:], rows, strict=True):
        lines.append(line(columns, finding.detail))
        if finding.remediation:
            lines.append(f"{indent}fix: {finding.remediation}")
    return "\n".join(lines)


def summary(findings: Sequence[Finding], machines: Mapping[str, str]) -> str:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITY_ORDER}
    blocked = sorted(blocked_machines(findings))
    text = f"{len(machines)} machine(s): {counts['blocker']} blocker(s), {counts['warning']} warning(s), {counts['info']} note(s)"
    return text + (f"; blocked: {', '.join(blocked)}" if blocked else "")
