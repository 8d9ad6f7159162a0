"""Discovery against a moto EC2 fleet, VM-size suggestions, merging into a wave, and the MGN CSV import."""

from __future__ import annotations

import pytest

from migrate_tool.aws import discovery
from migrate_tool.aws.discovery import DiscoveryError, Ec2Instance
from tests.aws.conftest import Fleet


def by_name(instances: list[Ec2Instance]) -> dict[str, Ec2Instance]:
    return {i.name_tag or i.instance_id: i for i in instances}


def test_tag_filter_returns_the_tagged_fleet_with_ec2_facts(fleet: Fleet) -> None:
    found = by_name(discovery.describe_fleet(fleet.ec2, tags={"Application": "orders"}))
    assert set(found) == {"web01", "db01", "app01", "legacy01", "old32", "tools01"}, "untagged other01 must not match"
    web, db, pv, old = found["web01"], found["db01"], found["legacy01"], found["old32"]
    assert (web.instance_id, web.os, web.virtualization_type, web.architecture) == (
        fleet.ids["web"],
        "windows",
        "hvm",
        "x86_64",
    )
    assert web.private_ip and web.private_ip.count(".") == 3
    assert (db.os, db.image_name) == ("linux", "RHEL-7.9_HVM-20210208-x86_64-0-Hourly2-GP2")
    assert (db.vcpus, db.memory_mib, db.hypervisor) == (4, 32768, "nitro")
    assert pv.virtualization_type == "paravirtual" and old.architecture == "i386"
    assert found["app01"].state == "stopped"


def test_tag_filter_leaves_out_terminated_instances(fleet: Fleet) -> None:
    fleet.ec2.terminate_instances(InstanceIds=[fleet.ids["amzn"]])
    found = by_name(discovery.describe_fleet(fleet.ec2, tags={"Application": "orders"}))
    assert "tools01" not in found


def test_instance_ids_return_exactly_those_in_the_given_order(fleet: Fleet) -> None:
    found = discovery.describe_fleet(fleet.ec2, instance_ids=[fleet.ids["db"], fleet.ids["web"], fleet.ids["db"]])
    assert [i.instance_id for i in found] == [fleet.ids["db"], fleet.ids["web"]]


def test_unknown_instance_ids_are_named_in_the_error(fleet: Fleet) -> None:
    with pytest.raises(DiscoveryError) as err:
        discovery.describe_fleet(fleet.ec2, instance_ids=[fleet.ids["web"], "i-0123456789abcdef0"])
    assert err.value.problems == [
        "--instance-ids: 'i-0123456789abcdef0' does not exist in eu-west-1 (check the region and the account)"
    ]


def test_malformed_instance_ids_are_rejected_before_calling_ec2(fleet: Fleet) -> None:
    with pytest.raises(DiscoveryError) as err:
        discovery.describe_fleet(fleet.ec2, instance_ids=["web01", "i-12"])
    assert err.value.problems == [
        "--instance-ids: 'web01' must be 'i-' followed by 8 or 17 lowercase hexadecimal digits",
        "--instance-ids: 'i-12' must be 'i-' followed by 8 or 17 lowercase hexadecimal digits",
    ]


def test_a_tag_nothing_has_is_an_error_not_an_empty_wave(fleet: Fleet) -> None:
    with pytest.raises(
        DiscoveryError, match="--tag Application=billing: no live EC2 instance in eu-west-1 has all of these tags"
    ):
        discovery.describe_fleet(fleet.ec2, tags={"Application": "billing"})


def test_volumes_boot_mode_and_groups_come_from_ec2_and_the_disk_count_goes_into_the_config(fleet: Fleet) -> None:
    web = fleet.ids["web"]
    [placement] = [
        r["Instances"][0]["Placement"]["AvailabilityZone"]
        for r in fleet.ec2.describe_instances(InstanceIds=[web])["Reservations"]
    ]
    volume = fleet.ec2.create_volume(AvailabilityZone=placement, Size=500)["VolumeId"]
    fleet.ec2.attach_volume(VolumeId=volume, InstanceId=web, Device="/dev/sdf")
    [instance] = discovery.describe_fleet(fleet.ec2, instance_ids=[web])
    assert [(v.device, v.size_gib, v.root) for v in instance.volumes][1:] == [("/dev/sdf", 500, False)]
    assert instance.volumes[0].root and instance.volumes[0].size_gib
    assert instance.security_groups == 1 and instance.boot_mode
    entry, _ = discovery.machine_entry(instance)
    assert entry["disks"] == 2


def test_a_deregistered_ami_leaves_the_image_facts_empty(fleet: Fleet) -> None:
    image = fleet.ec2.describe_instances(InstanceIds=[fleet.ids["db"]])["Reservations"][0]["Instances"][0]["ImageId"]
    fleet.ec2.deregister_image(ImageId=image)
    [db] = discovery.describe_fleet(fleet.ec2, instance_ids=[fleet.ids["db"]])
    assert db.image_name is None and db.os == "linux"


@pytest.mark.parametrize(
    ("instance_type", "vcpus", "memory_mib", "size"),
    [
        ("m5.large", 2, 8192, "Standard_D2s_v5"),
        ("m5.xlarge", 4, 16384, "Standard_D4s_v5"),
        ("c5.2xlarge", 8, 16384, "Standard_F8s_v2"),
        ("r5.xlarge", 4, 32768, "Standard_E4s_v5"),
        ("t3.micro", 2, 1024, "Standard_B2s"),
        ("t2.micro", 1, 1024, "Standard_B1s"),
        ("m3.medium", 1, 3840, "Standard_D2s_v5"),  # no 1-vCPU Dsv5: the next one up
        ("x1e.32xlarge", 128, 3997696, None),
    ],
)
def test_vm_size_is_the_smallest_fit_in_the_matching_family(
    instance_type: str, vcpus: int, memory_mib: int, size: str | None
) -> None:
    suggestion = discovery.suggest_vm_size(instance_type, vcpus, memory_mib)
    assert suggestion.size == size, suggestion.reason


def test_vm_size_without_type_facts_says_why() -> None:
    assert (
        discovery.suggest_vm_size("m9.huge", None, None).reason == "EC2 did not report vCPUs and memory for 'm9.huge'"
    )


def instance(**overrides: object) -> Ec2Instance:
    fields: dict[str, object] = {
        "instance_id": "i-0123456789abcdef0",
        "name_tag": "web01",
        "private_ip": "172.31.10.11",
        "os": "windows",
        "instance_type": "m5.large",
        "state": "running",
        "vcpus": 2,
        "memory_mib": 8192,
    }
    fields.update(overrides)
    return Ec2Instance(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tag", "os", "name"),
    [
        ("web01", "windows", "web01"),
        ("Web Server (prod)", "windows", "Web-Server-prod"),
        ("orders-frontend-blue-01", "windows", "orders-frontend"),
        ("orders-frontend-blue-01", "linux", "orders-frontend-blue-01"),
        (None, "windows", "i-0123456789abc"),
        ("1234", "linux", "i-0123456789abcdef0"),
    ],
)
def test_vm_names_follow_the_azure_and_computer_name_rules(tag: str | None, os: str, name: str) -> None:
    assert discovery.vm_name(instance(name_tag=tag, os=os))[0] == name


def test_merge_fills_new_machines_and_blank_fields() -> None:
    existing = [{"name": "web01", "instanceId": "i-0123456789abcdef0", "os": "windows"}]
    result = discovery.merge_machines(
        existing, [instance(), instance(instance_id="i-0fedcba9876543210", name_tag="db01", os="linux")]
    )
    assert result.machines == [
        {
            "name": "web01",
            "instanceId": "i-0123456789abcdef0",
            "os": "windows",
            "privateIp": "172.31.10.11",
            "vmSize": "Standard_D2s_v5",
        },
        {
            "name": "db01",
            "instanceId": "i-0fedcba9876543210",
            "os": "linux",
            "privateIp": "172.31.10.11",
            "vmSize": "Standard_D2s_v5",
        },
    ]
    assert result.added == {"i-0fedcba9876543210"}
    assert "web01: filled privateIp = '172.31.10.11' from EC2" in result.notices


def test_merge_keeps_hand_set_fields_and_says_so() -> None:
    existing = [
        {
            "name": "frontend",
            "instanceId": "i-0123456789abcdef0",
            "privateIp": "172.31.10.11",
            "os": "windows",
            "vmSize": "Standard_D8s_v5",
        }
    ]
    result = discovery.merge_machines(existing, [instance()])
    assert result.machines == existing
    assert result.notices == [
        "frontend: kept name 'frontend' set by hand (EC2 suggests 'web01'; --overwrite replaces it)",
        "frontend: kept vmSize 'Standard_D8s_v5' set by hand (EC2 suggests 'Standard_D2s_v5'; --overwrite replaces it)",
    ]


def test_merge_overwrite_replaces_and_reports() -> None:
    existing = [{"name": "frontend", "instanceId": "i-0123456789abcdef0", "privateIp": "172.31.10.99", "os": "windows"}]
    result = discovery.merge_machines(existing, [instance()], overwrite=True)
    assert result.machines[0]["name"] == "web01" and result.machines[0]["privateIp"] == "172.31.10.11"
    assert "frontend: overwrote privateIp '172.31.10.99' with '172.31.10.11' from EC2 (--overwrite)" in result.notices


def test_merge_never_drops_a_machine_discovery_did_not_return() -> None:
    existing = [{"name": "legacy", "instanceId": "i-0aaaabbbbccccdddd", "privateIp": "172.31.1.1", "os": "linux"}]
    result = discovery.merge_machines(existing, [instance()])
    assert [m["name"] for m in result.machines] == ["legacy", "web01"]
    assert "legacy: kept, although this discovery did not return i-0aaaabbbbccccdddd" in result.notices


def test_duplicate_names_name_both_instances() -> None:
    machines = [
        {"name": "web01", "instanceId": "i-0123456789abcdef0"},
        {"name": "WEB01", "instanceId": "i-0fedcba9876543210"},
    ]
    [problem] = discovery.duplicate_name_problems(machines)
    assert problem.startswith("machines: name 'WEB01' is used by both i-0123456789abcdef0 and i-0fedcba9876543210")


# --- MGN import CSV ---

MGN_HEADER = "mgn:account-id,mgn:region,mgn:wave:name,mgn:app:name,mgn:server:user-provided-id,mgn:server:platform,mgn:server:tag:Name,mgn:launch:instance-type"


def test_csv_rows_name_instances_by_id_or_by_name_tag(fleet: Fleet) -> None:
    text = "\n".join(
        [
            MGN_HEADER,
            f",,Wave 1,Orders,{fleet.ids['web']},WINDOWS,web01,m5.large",
            ",,Wave 1,Orders,db-primary,LINUX,db01,r5.xlarge",
            ",,Wave 1,Orders,,,,",  # an application-only row
            ",,Wave 2,Orders,,LINUX,tools01,t3.micro",
        ]
    )
    servers = discovery.read_mgn_csv(text, wave="Wave 1")
    assert [(s.line, s.instance_id, s.name, s.platform) for s in servers] == [
        (2, fleet.ids["web"], "web01", "windows"),
        (3, None, "db01", "linux"),
    ]
    assert discovery.resolve_csv_servers(fleet.ec2, servers) == [fleet.ids["web"], fleet.ids["db"]]


def test_csv_without_an_identifying_column_is_rejected() -> None:
    with pytest.raises(
        DiscoveryError,
        match=r"--csv: header \['hostname', 'ip'\] has neither 'mgn:server:user-provided-id' nor 'mgn:server:tag:Name'",
    ):
        discovery.read_mgn_csv("hostname,ip\nweb01,10.0.0.1\n")


def test_csv_duplicate_rows_and_unresolvable_names_are_reported_by_line(fleet: Fleet) -> None:
    duplicated = f"{MGN_HEADER}\n,,W,A,{fleet.ids['web']},WINDOWS,,\n,,W,A,{fleet.ids['web']},WINDOWS,,\n"
    with pytest.raises(DiscoveryError) as err:
        discovery.read_mgn_csv(duplicated)
    assert err.value.problems == [f"--csv line 3: duplicates line 2 ({fleet.ids['web']}); each server must appear once"]
    fleet.ec2.create_tags(Resources=[fleet.ids["other"]], Tags=[{"Key": "Name", "Value": "db01"}])
    servers = discovery.read_mgn_csv(f"{MGN_HEADER}\n,,W,A,,LINUX,db01,\n,,W,A,,LINUX,ghost,\n")
    with pytest.raises(DiscoveryError) as err:
        discovery.resolve_csv_servers(fleet.ec2, servers)
    assert err.value.problems == [
        f"--csv line 2: Name tag 'db01' matches {', '.join(sorted([fleet.ids['db'], fleet.ids['other']]))};"
        " put the instance id in mgn:server:user-provided-id",
        "--csv line 3: no live instance in eu-west-1 has Name tag 'ghost'",
    ]


def test_csv_platform_disagreeing_with_ec2_is_reported() -> None:
    servers = [discovery.CsvServer(2, "i-0123456789abcdef0", None, "linux")]
    notices = discovery.csv_platform_notices(servers, ["i-0123456789abcdef0"], [instance()])
    assert notices == ["--csv line 2: platform 'linux' but EC2 says i-0123456789abcdef0 is windows; using windows"]
