"""EC2 instances into wave machine entries: lookup by tag, instance id or AWS MGN import CSV.

`describe_fleet` reads what the EC2 API knows about each instance (and its AMI and instance type);
`merge_machines` turns that into `migration:wave` machine entries without overwriting anything a
person wrote by hand unless asked to, and says what it did either way. `suggest_vm_size` maps an
instance type's vCPUs and memory to an Azure size (the table is in docs/aws-side.md).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from components import naming
from components.errors import MigrationError

# --- What EC2 tells us about an instance ---------------------------------------------------------


@dataclass(frozen=True)
class Ec2Instance:
    instance_id: str
    name_tag: str | None
    private_ip: str | None
    os: str
    """'windows' or 'linux': EC2 reports Platform=windows for Windows and nothing for Linux/UNIX."""
    instance_type: str
    state: str
    architecture: str | None = None
    virtualization_type: str | None = None
    hypervisor: str | None = None
    """Of the instance *type* ('nitro' or 'xen'), from DescribeInstanceTypes."""
    platform_details: str | None = None
    image_id: str | None = None
    image_name: str | None = None
    image_description: str | None = None
    vcpus: int | None = None
    memory_mib: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    boot_mode: str | None = None
    """'uefi' or 'legacy-bios' (EC2's `BootMode`, else the AMI's): Azure Generation 2 or 1 after migration."""
    volumes: tuple[Volume, ...] = ()
    """The instance's EBS volumes, root first; empty when EC2 did not say."""
    security_groups: int | None = None
    """How many security groups its primary network interface has."""


@dataclass(frozen=True)
class Volume:
    device: str
    size_gib: int | None
    root: bool


class DiscoveryError(MigrationError, ValueError):
    """Bad input or an answer from EC2 that makes discovery impossible; one problem per line."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(f"  - {p}" for p in self.problems))


LIVE_STATES = ["pending", "running", "stopping", "stopped"]


def describe_fleet(
    ec2: Any, *, tags: Mapping[str, str] | None = None, instance_ids: Sequence[str] | None = None
) -> list[Ec2Instance]:
    """The instances matching all `tags` (terminated ones left out), or exactly `instance_ids`.

    Instances named by id are returned whatever their state, so that eligibility can say why a
    terminated one cannot be migrated instead of it silently disappearing.
    """
    if bool(tags) == bool(instance_ids):
        raise DiscoveryError(["give either tag filters or instance ids (exactly one of the two)"])
    if instance_ids:
        bad = [
            f"--instance-ids: {i!r} {naming.ec2_id_rule(i, 'i')}" for i in instance_ids if naming.ec2_id_rule(i, "i")
        ]
        if bad:
            raise DiscoveryError(bad)
        raw = _describe_by_ids(ec2, list(dict.fromkeys(instance_ids)))
    else:
        assert tags is not None
        filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]
        filters.append({"Name": "instance-state-name", "Values": LIVE_STATES})
        raw = _paginate_instances(ec2, Filters=filters)
        if not raw:
            shown = ", ".join(f"{k}={v}" for k, v in tags.items())
            raise DiscoveryError([f"--tag {shown}: no live EC2 instance in {_region(ec2)} has all of these tags"])
    images = _images(ec2, {i["ImageId"] for i in raw if i.get("ImageId")})
    types = _instance_types(ec2, {i["InstanceType"] for i in raw})
    sizes = _volume_sizes(
        ec2, [m["Ebs"]["VolumeId"] for i in raw for m in i.get("BlockDeviceMappings", []) if "Ebs" in m]
    )
    return [_instance(i, images.get(i.get("ImageId", "")), types.get(i["InstanceType"]), sizes) for i in raw]


def _region(ec2: Any) -> str:
    return str(getattr(getattr(ec2, "meta", None), "region_name", "this region"))


def _paginate_instances(ec2: Any, **kwargs: Any) -> list[dict[str, Any]]:
    found = []
    for page in ec2.get_paginator("describe_instances").paginate(**kwargs):
        for reservation in page["Reservations"]:
            found.extend(reservation["Instances"])
    return found


def _describe_by_ids(ec2: Any, ids: list[str]) -> list[dict[str, Any]]:
    try:
        found = _paginate_instances(ec2, InstanceIds=ids)
    except ClientError as err:
        if err.response["Error"]["Code"] != "InvalidInstanceID.NotFound":
            raise
        # EC2 fails the whole call and names the missing ids in the message.
        missing = re.findall(r"i-[0-9a-f]+", err.response["Error"].get("Message", "")) or ids
        raise DiscoveryError(
            [
                f"--instance-ids: {i!r} does not exist in {_region(ec2)} (check the region and the account)"
                for i in missing
            ]
        ) from None
    by_id = {i["InstanceId"]: i for i in found}
    return [by_id[i] for i in ids if i in by_id]


def _images(ec2: Any, image_ids: set[str]) -> dict[str, dict[str, Any]]:
    """AMI details where EC2 still has them; a deregistered or unshared AMI is simply absent."""
    if not image_ids:
        return {}
    try:
        return {i["ImageId"]: i for i in ec2.describe_images(ImageIds=sorted(image_ids))["Images"]}
    except ClientError:
        found = {}
        for image_id in sorted(image_ids):  # one bad id fails the batch: ask one by one
            try:
                found.update({i["ImageId"]: i for i in ec2.describe_images(ImageIds=[image_id])["Images"]})
            except ClientError:
                continue
        return found


def _volume_sizes(ec2: Any, volume_ids: list[str]) -> dict[str, int]:
    """Volume id -> size in GiB, for the volumes EC2 still has."""
    found: dict[str, int] = {}
    for start in range(0, len(volume_ids), 200):
        batch = volume_ids[start : start + 200]
        try:
            found.update({v["VolumeId"]: v["Size"] for v in ec2.describe_volumes(VolumeIds=batch)["Volumes"]})
        except ClientError:
            continue  # a volume detached meanwhile: its size is unknown, the disk check says so
    return found


def _instance_types(ec2: Any, names: set[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    ordered = sorted(names)
    for start in range(0, len(ordered), 100):  # the API's page limit for explicit type names
        answer = ec2.describe_instance_types(InstanceTypes=ordered[start : start + 100])
        found.update({t["InstanceType"]: t for t in answer["InstanceTypes"]})
    return found


def _instance(
    raw: Mapping[str, Any], image: Mapping[str, Any] | None, itype: Mapping[str, Any] | None, sizes: Mapping[str, int]
) -> Ec2Instance:
    image = image or {}
    itype = itype or {}
    root = raw.get("RootDeviceName")
    volumes = sorted(
        (
            Volume(m["DeviceName"], sizes.get(m["Ebs"]["VolumeId"]), m["DeviceName"] == root)
            for m in raw.get("BlockDeviceMappings", [])
            if "Ebs" in m
        ),
        key=lambda v: (not v.root, v.device),
    )
    interfaces = sorted(raw.get("NetworkInterfaces", []), key=lambda n: n.get("Attachment", {}).get("DeviceIndex", 0))
    groups = interfaces[0].get("Groups") if interfaces else raw.get("SecurityGroups")
    tags = {t["Key"]: t["Value"] for t in raw.get("Tags", [])}
    platform = raw.get("Platform") or image.get("Platform")
    details = raw.get("PlatformDetails") or image.get("PlatformDetails")
    is_windows = platform == "windows" or str(details or "").lower().startswith("windows")
    return Ec2Instance(
        instance_id=raw["InstanceId"],
        name_tag=tags.get("Name"),
        private_ip=raw.get("PrivateIpAddress"),
        os="windows" if is_windows else "linux",
        instance_type=raw["InstanceType"],
        state=raw["State"]["Name"],
        # The instance's own attributes win; the AMI's fill in what an older answer leaves out.
        architecture=raw.get("Architecture") or image.get("Architecture"),
        virtualization_type=raw.get("VirtualizationType") or image.get("VirtualizationType"),
        hypervisor=itype.get("Hypervisor"),
        platform_details=details,
        image_id=raw.get("ImageId"),
        image_name=image.get("Name"),
        image_description=image.get("Description"),
        vcpus=itype.get("VCpuInfo", {}).get("DefaultVCpus"),
        memory_mib=itype.get("MemoryInfo", {}).get("SizeInMiB"),
        tags=tags,
        boot_mode=raw.get("BootMode") or image.get("BootMode"),
        volumes=tuple(volumes),
        security_groups=len(groups) if groups is not None else None,
    )


# --- Azure VM size suggestion --------------------------------------------------------------------


@dataclass(frozen=True)
class AzureSize:
    name: str
    vcpus: int
    memory_gib: float


def _sizes(rows: Iterable[tuple[str, int, float]]) -> tuple[AzureSize, ...]:
    return tuple(AzureSize(f"Standard_{n}", v, m) for n, v, m in rows)


# Source: Microsoft Learn, virtual-machines/sizes: bv1 (B-series), fsv2-series, dv5-dsv5-series,
# ev5-esv5-series. Premium-storage ("s") sizes, because ASR can fail over to premium managed disks.
AZURE_SIZE_FAMILIES: dict[str, tuple[AzureSize, ...]] = {
    "burstable (B)": _sizes(
        [
            ("B1s", 1, 1),
            ("B1ms", 1, 2),
            ("B2s", 2, 4),
            ("B2ms", 2, 8),
            ("B4ms", 4, 16),
            ("B8ms", 8, 32),
            ("B12ms", 12, 48),
            ("B16ms", 16, 64),
            ("B20ms", 20, 80),
        ],
    ),
    "compute optimized (Fsv2)": _sizes(
        [
            ("F2s_v2", 2, 4),
            ("F4s_v2", 4, 8),
            ("F8s_v2", 8, 16),
            ("F16s_v2", 16, 32),
            ("F32s_v2", 32, 64),
            ("F48s_v2", 48, 96),
            ("F64s_v2", 64, 128),
            ("F72s_v2", 72, 144),
        ],
    ),
    "general purpose (Dsv5)": _sizes(
        [
            ("D2s_v5", 2, 8),
            ("D4s_v5", 4, 16),
            ("D8s_v5", 8, 32),
            ("D16s_v5", 16, 64),
            ("D32s_v5", 32, 128),
            ("D48s_v5", 48, 192),
            ("D64s_v5", 64, 256),
            ("D96s_v5", 96, 384),
        ],
    ),
    "memory optimized (Esv5)": _sizes(
        [
            ("E2s_v5", 2, 16),
            ("E4s_v5", 4, 32),
            ("E8s_v5", 8, 64),
            ("E16s_v5", 16, 128),
            ("E20s_v5", 20, 160),
            ("E32s_v5", 32, 256),
            ("E48s_v5", 48, 384),
            ("E64s_v5", 64, 512),
            ("E96s_v5", 96, 672),
        ],
    ),
}
BURSTABLE_PREFIXES = ("t1.", "t2.", "t3.", "t3a.", "t4g.")


@dataclass(frozen=True)
class SizeSuggestion:
    size: str | None
    reason: str


def suggest_vm_size(instance_type: str, vcpus: int | None, memory_mib: int | None) -> SizeSuggestion:
    """The smallest Azure size with at least the instance's vCPUs and memory, in the matching family.

    Family by shape: burstable EC2 types (t*) go to B-series; otherwise memory per vCPU picks
    compute (<= 2.5 GiB, like c*), general purpose (<= 5 GiB, like m*) or memory optimized (more,
    like r*/x*). When the family has nothing big enough, the next larger family is tried.
    """
    if not vcpus or not memory_mib:
        return SizeSuggestion(None, f"EC2 did not report vCPUs and memory for {instance_type!r}")
    memory_gib = memory_mib / 1024
    per_vcpu = memory_gib / vcpus
    families = list(AZURE_SIZE_FAMILIES)
    if instance_type.startswith(BURSTABLE_PREFIXES):
        order = families
    elif per_vcpu <= 2.5:
        order = families[1:]
    elif per_vcpu <= 5:
        order = families[2:]
    else:
        order = families[3:]
    for family in order:
        for size in AZURE_SIZE_FAMILIES[family]:
            if size.vcpus >= vcpus and size.memory_gib >= memory_gib:
                return SizeSuggestion(
                    size.name,
                    f"{instance_type} ({vcpus} vCPU, {memory_gib:g} GiB) -> {family}"
                    f" {size.name} ({size.vcpus} vCPU, {size.memory_gib:g} GiB)",
                )
    return SizeSuggestion(
        None, f"no size in the table fits {instance_type} ({vcpus} vCPU, {memory_gib:g} GiB); set vmSize by hand"
    )


# --- Machine entries -----------------------------------------------------------------------------


def vm_name(instance: Ec2Instance) -> tuple[str, str | None]:
    """A valid Azure VM / computer name from the Name tag, and a note when it had to change."""
    tag = instance.name_tag or ""
    name = re.sub(r"[^A-Za-z0-9-]+", "-", tag).strip("-")
    name = re.sub(r"-{2,}", "-", name)
    limit = 15 if instance.os == "windows" else 64
    if not name or name.isdigit():
        name = instance.instance_id[:limit]
    name = name[:limit].rstrip("-")
    if name == tag:
        return name, None
    why = "has no Name tag" if not tag else f"Name tag {tag!r} is not a valid {instance.os} VM name"
    return name, f"{instance.instance_id} {why}; using {name!r}"


def machine_entry(instance: Ec2Instance) -> tuple[dict[str, Any], list[str]]:
    """The camelCase `machines[]` entry EC2 suggests for an instance, and notes about it."""
    name, note = vm_name(instance)
    notes = [note] if note else []
    entry: dict[str, Any] = {"name": name, "instanceId": instance.instance_id, "os": instance.os}
    if instance.private_ip:
        entry["privateIp"] = instance.private_ip
    else:
        notes.append(f"{instance.instance_id} has no private IP (state {instance.state}); set privateIp by hand")
    if instance.volumes:
        entry["disks"] = len(instance.volumes)  # counted against ASR's protected disks per subscription
    suggestion = suggest_vm_size(instance.instance_type, instance.vcpus, instance.memory_mib)
    if suggestion.size:
        entry["vmSize"] = suggestion.size
    else:
        notes.append(f"{instance.instance_id}: {suggestion.reason}")
    return entry, notes


MERGED_FIELDS = ("name", "privateIp", "os", "vmSize", "disks")


@dataclass
class MergeResult:
    machines: list[dict[str, Any]]
    notices: list[str]
    added: set[str]
    """Instance ids that were not in the config before."""


def merge_machines(
    existing: Sequence[Mapping[str, Any]], discovered: Sequence[Ec2Instance], *, overwrite: bool = False
) -> MergeResult:
    """Existing entries updated in place (matched by instanceId), new ones appended.

    A field already set to something else is kept and reported, because a person may have chosen
    it (a VM name, a larger size); `overwrite=True` replaces it and reports that instead. Entries
    discovery did not return are kept, never dropped.
    """
    notices: list[str] = []
    machines = [dict(m) for m in existing]
    by_id = {m.get("instanceId"): m for m in machines}
    added: set[str] = set()
    for instance in discovered:
        entry, notes = machine_entry(instance)
        notices += notes
        current = by_id.get(instance.instance_id)
        if current is None:
            machines.append(entry)
            by_id[instance.instance_id] = entry
            added.add(instance.instance_id)
            continue
        label = current.get("name") or instance.instance_id
        for key in MERGED_FIELDS:
            if key not in entry or current.get(key) == entry[key]:
                continue
            if key not in current:
                current[key] = entry[key]
                notices.append(f"{label}: filled {key} = {entry[key]!r} from EC2")
            elif overwrite:
                notices.append(f"{label}: overwrote {key} {current[key]!r} with {entry[key]!r} from EC2 (--overwrite)")
                current[key] = entry[key]
            else:
                notices.append(
                    f"{label}: kept {key} {current[key]!r} set by hand (EC2 suggests {entry[key]!r}; --overwrite replaces it)"
                )
    found = {i.instance_id for i in discovered}
    for machine in machines:
        if machine.get("instanceId") not in found:
            notices.append(
                f"{machine.get('name')}: kept, although this discovery did not return {machine.get('instanceId')}"
            )
    return MergeResult(machines, notices, added)


def duplicate_name_problems(machines: Sequence[Mapping[str, Any]]) -> list[str]:
    """Machines whose names collide (Azure VM and Windows computer names ignore case)."""
    seen: dict[str, Mapping[str, Any]] = {}
    problems = []
    for machine in machines:
        name = str(machine.get("name", ""))
        first = seen.setdefault(name.lower(), machine)
        if first is not machine:
            problems.append(
                f"machines: name {name!r} is used by both {first.get('instanceId')} and {machine.get('instanceId')};"
                " names must be unique (case-insensitive): give the instances distinct Name tags,"
                " or set a name for one of them by hand in the stack file (discover keeps hand-set names)"
            )
    return problems


# --- AWS MGN import CSV --------------------------------------------------------------------------

MGN_ID = "mgn:server:user-provided-id"
MGN_NAME = "mgn:server:tag:Name"
MGN_PLATFORM = "mgn:server:platform"
MGN_WAVE = "mgn:wave:name"


@dataclass(frozen=True)
class CsvServer:
    line: int
    instance_id: str | None
    name: str | None
    platform: str | None


def read_mgn_csv(text: str, wave: str | None = None) -> list[CsvServer]:
    """Server rows of an AWS MGN import file (only the columns we use; others are ignored).

    A row names its EC2 instance by `mgn:server:user-provided-id` when that holds an instance id,
    else by its Name tag in `mgn:server:tag:Name`. Rows without either (application- or
    wave-only rows) are skipped. `wave` keeps only rows whose `mgn:wave:name` matches.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    if MGN_ID not in header and MGN_NAME not in header:
        raise DiscoveryError(
            [
                f"--csv: header {header!r} has neither {MGN_ID!r} nor {MGN_NAME!r}; an AWS MGN import file needs one of them"
            ]
        )
    if wave is not None and MGN_WAVE not in header:
        raise DiscoveryError([f"--mgn-wave {wave!r}: the CSV has no {MGN_WAVE!r} column"])
    servers: list[CsvServer] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if wave is not None and row.get(MGN_WAVE) != wave:
            continue
        user_id, name = row.get(MGN_ID) or None, row.get(MGN_NAME) or None
        instance_id = user_id if user_id and not naming.ec2_id_rule(user_id, "i") else None
        if user_id and not instance_id and not name:
            problems.append(
                f"--csv line {line}: {MGN_ID} {user_id!r} is not an EC2 instance id and {MGN_NAME} is empty"
            )
            continue
        if not instance_id and not name:
            continue
        key = instance_id or f"Name={name}"
        if key in seen:
            problems.append(f"--csv line {line}: duplicates line {seen[key]} ({key}); each server must appear once")
            continue
        seen[key] = line
        servers.append(CsvServer(line, instance_id, name, (row.get(MGN_PLATFORM) or "").lower() or None))
    if problems:
        raise DiscoveryError(problems)
    if not servers:
        raise DiscoveryError(["--csv: no server rows" + (f" for wave {wave!r}" if wave else "")])
    return servers


def resolve_csv_servers(ec2: Any, servers: Sequence[CsvServer]) -> list[str]:
    """Instance ids for the CSV rows; rows named by Name tag must match exactly one live instance."""
    names = sorted({s.name for s in servers if not s.instance_id and s.name})
    by_name: dict[str, list[str]] = {}
    if names:
        raw = _paginate_instances(
            ec2,
            Filters=[{"Name": "tag:Name", "Values": names}, {"Name": "instance-state-name", "Values": LIVE_STATES}],
        )
        for instance in raw:
            tag = next((t["Value"] for t in instance.get("Tags", []) if t["Key"] == "Name"), "")
            by_name.setdefault(tag, []).append(instance["InstanceId"])
    ids, problems = [], []
    for server in servers:
        if server.instance_id:
            ids.append(server.instance_id)
            continue
        matches = sorted(by_name.get(server.name or "", []))
        if len(matches) == 1:
            ids.append(matches[0])
        elif not matches:
            problems.append(
                f"--csv line {server.line}: no live instance in {_region(ec2)} has Name tag {server.name!r}"
            )
        else:
            problems.append(
                f"--csv line {server.line}: Name tag {server.name!r} matches {', '.join(matches)};"
                f" put the instance id in {MGN_ID}"
            )
    duplicates = {i for i in ids if ids.count(i) > 1}
    problems += [f"--csv: instance {i} appears on more than one line" for i in sorted(duplicates)]
    if problems:
        raise DiscoveryError(problems)
    return ids


def csv_platform_notices(
    servers: Sequence[CsvServer], ids: Sequence[str], instances: Sequence[Ec2Instance]
) -> list[str]:
    """Where the CSV's platform disagrees with EC2 (EC2 wins; the CSV may be stale)."""
    by_id = {i.instance_id: i for i in instances}
    notices = []
    for server, instance_id in zip(servers, ids, strict=True):
        instance = by_id.get(instance_id)
        if server.platform and instance and server.platform != instance.os:
            notices.append(
                f"--csv line {server.line}: platform {server.platform!r} but EC2 says {instance_id} is {instance.os}; using {instance.os}"
            )
    return notices
