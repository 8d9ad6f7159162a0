"""The config refuses what Azure or AWS would refuse at deploy time, with one message per mistake and no coercion."""

from __future__ import annotations

from typing import Any

import pytest

from components.appliance_sizing import INSTANCE_TYPES, appliance_instance_type_rule
from components.config import parse_wave
from tests.test_config import problems_of, set_path
from tests.waves import wave

W = "migration:wave"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("lifecycle.maxConcurrency", True, f"{W}.lifecycle.maxConcurrency: True must be a valid integer"),
        ("lifecycle.maxConcurrency", "5", f"{W}.lifecycle.maxConcurrency: '5' must be a valid integer"),
        (
            "azure.registrationTimeoutMinutes",
            60.0,
            f"{W}.azure.registrationTimeoutMinutes: 60.0 must be a valid integer",
        ),
        ("machines.0.retire", "yes", f"{W}.machines[0].retire: 'yes' must be a valid boolean"),
        ("machines.0.retire", 1, f"{W}.machines[0].retire: 1 must be a valid boolean"),
        (
            "machines.0.subnet",
            5,
            f"{W}.machines[0].subnet: 5 must be a string (write it in quotes in YAML)",
        ),
        ("machines.0.name", 123, f"{W}.machines[0].name: 123 must be a string (write it in quotes in YAML)"),
        ("lifecycle.shutdownSource", "false", f"{W}.lifecycle.shutdownSource: 'false' must be a valid boolean"),
    ],
)
def test_no_value_is_coerced_and_each_mistake_gets_one_message(path: str, value: Any, message: str) -> None:
    assert problems_of(set_path(wave(), path, value)) == [message]


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [
        ("azure.network.name", "vnet-wäve1", "must be 2-64 ASCII letters"),
        ("azure.network.subnets.0.name", "snet-wéb", "must be 1-80 ASCII letters"),
        ("azure.network.subnets.0.prefix", "10.0.0.0/30", "must be a /29 or larger: Azure's smallest subnet is a /29"),
        ("aws.applianceHost.dataDiskGb", 1_000_000, "must be less than or equal to 16384"),
        ("aws.applianceHost.osDiskGb", 16385, "must be less than or equal to 16384"),
        ("aws.applianceHost.instanceType", "banana", "must be an x86_64 instance type of the families c5,"),
        ("aws.applianceHost.instanceType", "c5.xlarge", "has 4 vCPU and 8 GiB; the appliance needs at least 8 vCPU"),
        ("aws.applianceHost.instanceType", "t3.xlarge", "has 4 vCPU and 16 GiB"),
        ("aws.applianceHost.instanceType", "m6g.2xlarge", "must be an x86_64 instance type"),
    ],
)
def test_values_the_clouds_refuse_are_refused_before_planning(path: str, value: Any, rule: str) -> None:
    problems = problems_of(set_path(wave(), path, value))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{W}.{path.replace('.0.', '[0].')}: {value!r} "), problems
    assert rule in problems[0], problems


@pytest.mark.parametrize(
    ("space", "reserved"),
    [
        ("127.0.0.0/16", "127.0.0.0/8"),
        ("169.254.0.0/24", "169.254.0.0/16"),
        ("168.63.0.0/16", "168.63.129.16/32"),
        ("224.1.0.0/16", "224.0.0.0/4"),
    ],
)
def test_azure_reserved_ranges_are_refused_for_the_network(space: str, reserved: str) -> None:
    raw = wave()
    raw["azure"]["network"]["addressSpace"] = [space]
    raw["azure"]["network"]["subnets"] = [{"name": "default", "prefix": space}]
    rule = f"overlaps {reserved}, which Azure reserves and a virtual network cannot use"
    assert problems_of(raw) == [
        f"{W}.azure.network.addressSpace[0]: {space!r} {rule}",
        f"{W}.azure.network.subnets[0].prefix: {space!r} {rule}",
    ]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("azure.network.subnets.0.prefix", "10.0.0.0/29"),
        ("aws.applianceHost.dataDiskGb", 16384),
        ("aws.applianceHost.instanceType", "m5.2xlarge"),
        ("aws.applianceHost.instanceType", "c6i.4xlarge"),
        ("azure.network.name", "vnet_wave1.prod"),
    ],
)
def test_the_limits_themselves_are_accepted(path: str, value: Any) -> None:
    parse_wave(set_path(wave(), path, value))


def test_the_instance_table_agrees_with_the_published_sizes() -> None:
    # Spot checks against the EC2 instance type pages: vCPU and memory of types a team would pick.
    published = {"c5.2xlarge": (8, 16), "c5.9xlarge": (36, 72), "c5n.2xlarge": (8, 21), "m5.4xlarge": (16, 64)}
    assert {name: (INSTANCE_TYPES[name].vcpu, INSTANCE_TYPES[name].memory_gib) for name in published} == published
    assert appliance_instance_type_rule("c5.8xlarge") is not None  # c5 has 9xlarge, not 8xlarge
    assert appliance_instance_type_rule("t3.2xlarge") is None


def test_more_tags_than_both_clouds_allow_are_refused() -> None:
    # 48 user tags plus the tool's two make the 50 Azure and AWS allow on one resource.
    assert parse_wave(wave(tags={f"k{i}": "v" for i in range(48)}))
    problems = problems_of(wave(tags={f"k{i}": "v" for i in range(49)}))
    assert len(problems) == 1 and problems[0].startswith(f"{W}.tags: "), problems
    assert "at most 48" in problems[0]


def test_unicode_letters_and_spaces_are_fine_in_tags() -> None:
    assert parse_wave(wave(tags={"Kostenstelle": "Müller Team", "owner": "ops@example.com"}))


def test_a_secret_under_an_unknown_key_is_never_echoed() -> None:
    raw = wave()
    raw["vaultRegistrationKey"] = "s3cr3t-key-material"
    raw["aws"]["mysqlRootPassword"] = "hunter2-hunter2"
    problems = problems_of(raw)
    assert sorted(problems) == [
        f"{W}.aws.mysqlRootPassword: (value not shown) is not a known key (see the README's config reference)",
        f"{W}.vaultRegistrationKey: (value not shown) is not a known key (see the README's config reference)",
    ]
    assert not any("s3cr3t" in p or "hunter2" in p for p in problems)


def test_classic_on_a_vault_the_stack_creates_is_refused_naming_the_date_and_the_page() -> None:
    raw = wave(architecture="classic")
    del raw["azure"]["existingVaultResourceGroup"]
    [problem] = problems_of(raw)
    assert problem.startswith(f"{W}.architecture: 'classic' needs a vault that already uses it")
    assert "15 Nov 2022" in problem and "vmware-physical-azure-classic-deprecation" in problem
    assert parse_wave(wave(architecture="classic")).azure.vault_resource_group == "rg-classic-vault"


def test_an_existing_vault_lives_outside_the_landing_zones_resource_group() -> None:
    raw = wave()
    raw["azure"]["existingVaultResourceGroup"] = raw["azure"]["resourceGroup"]
    assert problems_of(raw) == [
        f"{W}.azure.existingVaultResourceGroup: 'migrationRG' must differ from azure.resourceGroup, which the stack"
        " creates for the landing zone"
    ]


@pytest.mark.parametrize(
    ("target", "where", "message"),
    [
        (
            {"licenseType": "WindowsServer"},
            "machines[1].target.licenseType: 'WindowsServer'",
            "does not fit 'db01', a linux machine",
        ),
        ({"availabilityZone": 4}, "machines[1].target.availabilityZone: 4", "must be less than or equal to 3"),
        ({"availabilityZone": "1"}, "machines[1].target.availabilityZone: '1'", "must be a valid integer"),
        ({"diskType": "Premium_ZRS"}, "machines[1].target.diskType: 'Premium_ZRS'", "must be 'Premium_LRS'"),
        (
            {"diskEncryptionSetId": "des-1"},
            "machines[1].target.diskEncryptionSetId: 'des-1'",
            "must be the ARM id of a disk encryption set",
        ),
        (
            {
                "availabilityZone": 1,
                "availabilitySetId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/availabilitySets/as1",
            },
            "machines[1].target.availabilitySetId:",
            "cannot be combined with an availabilityZone",
        ),
    ],
)
def test_bad_target_settings_are_refused_naming_the_machine(target: dict, where: str, message: str) -> None:
    raw = wave()
    raw["machines"][1]["target"] = target
    [problem] = problems_of(raw)
    assert problem.startswith(f"{W}.{where}") and message in problem, problem


def test_a_wave_default_that_fits_no_machine_is_reported_once_where_it_is_written() -> None:
    raw = wave(machines=4)  # two windows, two linux machines
    raw["azure"]["targetDefaults"] = {"licenseType": "LinuxServer"}
    problems = problems_of(raw)
    assert len(problems) == 2 and all(
        p.startswith(f"{W}.azure.targetDefaults.licenseType: 'LinuxServer'") for p in problems
    )
    raw = wave(architecture="classic")
    raw["azure"]["targetDefaults"] = {"bootDiagnostics": True}
    assert problems_of(raw) == [f"{W}.azure.targetDefaults.bootDiagnostics: True needs the modernized architecture"]
