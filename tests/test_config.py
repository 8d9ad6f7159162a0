"""The wave config contract: every rule accepted when right and reported, with path, value and rule, when wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import WaveConfigError, parse_wave
from tests.waves import EXAMPLE_WAVE, wave

ROOT = Path(__file__).resolve().parents[1]


def problems_of(raw: Any) -> list[str]:
    with pytest.raises(WaveConfigError) as caught:
        parse_wave(raw)
    return [str(p) for p in caught.value.problems]


def set_path(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node: Any = raw
    parts = [int(p) if p.isdigit() else p for p in path.split(".")]
    for part in parts[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
    node[parts[-1]] = value
    return raw


def test_the_issue_example_is_accepted_with_documented_defaults() -> None:
    config = parse_wave(wave())
    assert config.architecture == "modernized"
    assert config.provider_type == "InMageRcm"
    assert config.azure.storage_sku == "Standard_RAGRS"
    assert config.azure.layout.test_network_name == "myMigrationNetwork-test"
    assert config.appliance_host.instance_type == "c5.2xlarge"
    assert (config.appliance_host.os_disk_gb, config.appliance_host.data_disk_gb) == (80, 620)
    assert [m.name for m in config.machines] == ["web01", "db01"]
    assert config.all_tags == {
        "owner": "platform-team",
        "costCenter": "4711",
        "migration-wave": "wave1",
        "managed-by": "pulumi-asr-migration",
    }


def test_classic_architecture_selects_inmage_azure_v2() -> None:
    assert parse_wave(wave(architecture="classic")).provider_type == "InMageAzureV2"


@pytest.mark.parametrize("stack", ["tutorial", "wave1"])
def test_example_stacks_are_valid(stack: str) -> None:
    document = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    parse_wave(document["config"]["migration:wave"])


def test_wave1_is_a_mixed_wave_of_at_least_five_machines() -> None:
    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.wave1.yaml").read_text())
    config = parse_wave(document["config"]["migration:wave"])
    assert len(config.machines) >= 5
    assert {m.os for m in config.machines} == {"windows", "linux"}
    assert config.architecture == "modernized"
    # Each tier in its own subnet, and the replica settings a real wave would set.
    subnets = {m.name: m.subnet for m in config.machines}
    assert all(subnets.values()) and subnets["orders-db01"] == "snet-data" and subnets["orders-web01"] == "snet-web"
    assert config.azure.target_defaults.availability_zone == 1
    assert {m.target.license_type for m in config.machines if m.os == "windows"} == {"WindowsServer"}


def test_tutorial_reproduces_the_seed() -> None:
    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.tutorial.yaml").read_text())
    config = parse_wave(document["config"]["migration:wave"])
    assert (config.azure.resource_group, config.azure.storage_account, config.azure.vault) == (
        "migrationRG",
        "awsmigrated2017",
        "myVault",
    )
    assert (config.azure.layout.name, config.azure.replication_policy.name) == (
        "myMigrationNetwork",
        "myReplicationPolicy",
    )
    assert config.azure.storage_sku == "Standard_RAGRS"
    assert config.azure.location == "westeurope"
    # On today's Azure: the stack creates the vault, which only accepts the modernized architecture.
    assert (config.architecture, config.azure.existing_vault_resource_group) == ("modernized", None)
    assert config.aws.mobility_installer_s3_uri is None  # SSM installs from the wave bucket the appliance fills
    assert config.azure.layout.address_space == ["10.0.0.0/16"]
    assert [(s.name, s.prefix) for s in config.azure.layout.subnets] == [("default", "10.0.0.0/24")]


BAD_FIELDS = [
    ("name", "Wave_1", "must be 1-20 lowercase letters"),
    ("architecture", "hybrid", "must be 'modernized' or 'classic'"),
    ("azure.location", "West Europe", "did you mean 'westeurope'"),
    ("azure.location", "mars-north", "must be a known Azure region name"),
    ("azure.resourceGroup", "rg.", "must not end with a period"),
    ("azure.resourceGroup", "rg with spaces", "1-90 letters"),
    ("azure.storageAccount", "AwsMigrated_2017", "3-24 lowercase letters or digits"),
    ("azure.storageAccount", "ab", "3-24 lowercase letters or digits"),
    ("azure.storageSku", "Premium_LRS", "must be 'Standard_LRS'"),
    ("azure.vault", "1vault", "start with a letter"),
    ("azure.vault", "v", "2-50 letters"),
    ("azure.network.name", "-vnet", "start with a letter or digit"),
    ("azure.network.name", "vnet.", "end with a letter, digit or underscore"),
    ("azure.network.subnets.0.name", "bad name", "1-80 ASCII letters"),
    ("azure.network.subnets.0.prefix", "10.0.0.1/24", "no host bits set"),
    ("azure.network.addressSpace.0", "10.0.0.0/33", "IPv4 CIDR block"),
    ("azure.replicationPolicy.name", "my policy", "1-64 letters, digits or hyphens"),
    ("aws.region", "eu-west-9", "must be a known AWS region name"),
    ("aws.vpcId", "vpc-123", "'vpc-' followed by 8 or 17"),
    ("aws.subnetId", "subnet-XYZ12345", "'subnet-' followed by 8 or 17"),
    ("aws.adminCidr", "0.0.0.0/0", "must not be 0.0.0.0/0"),
    ("aws.adminCidr", "not-a-cidr", "IPv4 CIDR block"),
    ("aws.applianceHost.name", "appliance_01", "letters, digits and hyphens"),
    ("aws.applianceHost.amiId", "ami-12", "'ami-' followed by 8 or 17"),
    ("aws.applianceHost.dataDiskGb", 100, "greater than or equal to 620"),
    ("machines.0.name", "web-server-frontend01", "at most 15 characters for a windows machine"),
    ("machines.0.name", "12345", "must not be only digits"),
    ("machines.1.name", "db01.", "letters, digits and hyphens"),
    ("machines.0.instanceId", "i-123", "'i-' followed by 8 or 17"),
    ("machines.0.privateIp", "172.31.10.256", "IPv4 address"),
    ("machines.0.os", "macos", "must be 'windows' or 'linux'"),
    ("machines.0.vmSize", "D2s_v5", "should match pattern"),
    ("machines.0.subnet", "backend", "must be one of the network's subnets ['default']"),
    ("machines.1.localAccount", True, "applies to windows machines only"),
    ("aws.mobilityInstallerS3Uri", "https://bucket/agents", "should match pattern"),
]


@pytest.mark.parametrize(("path", "value", "rule"), BAD_FIELDS, ids=[f"{p}={v}" for p, v, _ in BAD_FIELDS])
def test_each_bad_field_is_reported_with_path_value_and_rule(path: str, value: Any, rule: str) -> None:
    problems = problems_of(set_path(wave(), path, value))
    expected_path = "migration:wave." + ".".join(f"[{p}]" if p.isdigit() else p for p in path.split(".")).replace(
        ".[", "["
    )
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{expected_path}: {value!r} "), problems
    assert rule in problems[0], problems


def test_a_long_linux_machine_name_is_fine_but_not_a_windows_one() -> None:
    raw = wave()
    raw["machines"][1]["name"] = "a-linux-host-with-a-long-name"
    parse_wave(raw)
    raw["machines"][1]["os"] = "windows"
    assert "at most 15 characters for a windows machine" in problems_of(raw)[0]


def test_missing_and_unknown_keys() -> None:
    raw = wave()
    del raw["azure"]["vault"]
    raw["aws"]["regoin"] = "eu-west-1"
    problems = problems_of(raw)
    assert "migration:wave.azure.vault: (missing) is required" in problems
    assert (
        "migration:wave.aws.regoin: (value not shown) is not a known key (see the README's config reference)"
        in problems
    )


def test_the_former_appliance_host_key_still_reads_and_errors_name_the_key_used() -> None:
    """Stack files written before `aws.applianceHost` had its name keep working: same wave, same rules."""
    current = wave()
    former = wave()
    former["aws"]["configServer"] = former["aws"].pop("applianceHost")
    assert parse_wave(former) == parse_wave(current)
    former["aws"]["configServer"]["dataDiskGb"] = 100
    assert problems_of(former) == [
        "migration:wave.aws.configServer.dataDiskGb: 100 must be greater than or equal to 620"
    ]
    both = wave()
    both["aws"]["configServer"] = dict(both["aws"]["applianceHost"])
    assert problems_of(both) == [
        "migration:wave.aws.configServer: (value not shown) is the former name of applianceHost; keep only"
        " applianceHost"
    ]
    del both["aws"]["configServer"], both["aws"]["applianceHost"]
    assert problems_of(both) == ["migration:wave.aws.applianceHost: (missing) is required"]


def test_not_a_mapping() -> None:
    assert problems_of(["wave1"]) == ["migration:wave: ['wave1'] must be a mapping (see the README's config reference)"]


def test_subnets_must_lie_inside_the_address_space_and_not_overlap() -> None:
    raw = wave()
    raw["azure"]["network"]["subnets"] = [
        {"name": "a", "prefix": "10.0.0.0/24"},
        {"name": "b", "prefix": "10.0.0.128/25"},
        {"name": "c", "prefix": "192.168.0.0/24"},
    ]
    assert problems_of(raw) == [
        "migration:wave.azure.network.subnets[1].prefix: '10.0.0.128/25' overlaps subnets[0].prefix '10.0.0.0/24'; subnets must not overlap",
        "migration:wave.azure.network.subnets[2].prefix: '192.168.0.0/24' must lie inside the address space ['10.0.0.0/16']",
    ]


def test_address_spaces_must_not_overlap() -> None:
    raw = wave()
    raw["azure"]["network"]["addressSpace"] = ["10.0.0.0/16", "10.0.128.0/17"]
    assert problems_of(raw) == [
        "migration:wave.azure.network.addressSpace[1]: '10.0.128.0/17' overlaps addressSpace[0] '10.0.0.0/16'; address spaces must not overlap"
    ]


def test_machine_names_instance_ids_and_ips_must_be_unique() -> None:
    raw = wave()
    raw["machines"].append(
        {"name": "WEB01", "instanceId": "i-0123456789abcdef0", "privateIp": "172.31.10.12", "os": "linux"}
    )
    assert problems_of(raw) == [
        "migration:wave.machines[2].instanceId: 'i-0123456789abcdef0' duplicates machines[0].instanceId; each instanceId must be unique",
        "migration:wave.machines[2].name: 'WEB01' duplicates machines[0].name; each name must be unique",
        "migration:wave.machines[2].privateIp: '172.31.10.12' duplicates machines[1].privateIp; each privateIp must be unique",
    ]


def test_tags_follow_the_stricter_of_azure_and_aws_rules() -> None:
    problems = problems_of(
        wave(tags={"a/b": "x", "aws:owner": "y", "cost#centre": "1", "ok": "z" * 257, "team": "ops;dev"})
    )
    assert problems == [
        "migration:wave.tags.a/b: 'x' tag names may hold only letters, digits, spaces and _ . : = + - @ (Azure and IAM both accept these)",
        "migration:wave.tags.aws:owner: 'y' tag names must not start with aws:, azure, microsoft or windows (reserved prefixes)",
        "migration:wave.tags.cost#centre: '1' tag names may hold only letters, digits, spaces and _ . : = + - @ (Azure and IAM both accept these)",
        f"migration:wave.tags.ok: '{'z' * 257}' tag values must be at most 256 characters",
        "migration:wave.tags.team: 'ops;dev' tag values may hold only letters, digits, spaces and _ . : / = + - @ (IAM refuses anything else)",
    ]


def test_several_mistakes_are_all_reported_at_once_in_file_order() -> None:
    raw = wave()
    raw["azure"]["storageAccount"] = "Bad_Name"
    raw["azure"]["network"]["subnets"][0]["prefix"] = "10.9.0.0/24"  # outside the address space
    raw["aws"]["adminCidr"] = "0.0.0.0/0"
    raw["machines"][0]["os"] = "solaris"
    raw["machines"][1]["privateIp"] = "172.31.10.11"  # duplicate
    problems = problems_of(raw)
    assert [p.split(":")[1].split(" ")[0] for p in problems] == [
        "wave.azure.network.subnets[0].prefix",
        "wave.azure.storageAccount",
        "wave.aws.adminCidr",
        "wave.machines[0].os",
        "wave.machines[1].privateIp",
    ]
    with pytest.raises(WaveConfigError) as caught:
        parse_wave(raw)
    assert str(caught.value).startswith("5 problem(s) in stack config 'migration:wave':\n  - ")


def test_example_wave_fixture_is_not_mutated() -> None:
    raw = wave()
    raw["machines"].clear()
    assert len(EXAMPLE_WAVE["machines"]) == 2
    assert "at least 1 item" in problems_of(raw)[0]


def test_the_derived_test_network_name_must_also_be_valid() -> None:
    raw = wave()
    raw["azure"]["network"]["name"] = "n" * 62
    assert problems_of(raw) == [
        f"migration:wave.azure.network.name: '{'n' * 62}' is too long to derive the test-failover network name"
        f" '{'n' * 62}-test', which must be 2-64 ASCII letters, digits, underscores, periods or hyphens, start with a letter"
        " or digit and end with a letter, digit or underscore; shorten it or set azure.network.testFailoverNetwork"
    ]
    raw["azure"]["network"]["testFailoverNetwork"] = "vnet-test"
    assert parse_wave(raw).azure.layout.test_network_name == "vnet-test"


def test_replication_settings_default_and_accept_overrides() -> None:
    config = parse_wave(wave())
    policy = config.azure.replication_policy
    assert (
        policy.recovery_point_history_minutes,
        policy.crash_consistent_frequency_minutes,
        policy.app_consistent_frequency_minutes,
    ) == (None, None, None)
    assert config.azure.registration_timeout_minutes == 60
    assert [m.retire for m in config.machines] == [False, False]
    raw = wave()
    raw["azure"]["replicationPolicy"].update(
        {
            "recoveryPointHistoryMinutes": 21600,
            "crashConsistentFrequencyMinutes": 10,
            "appConsistentFrequencyMinutes": 0,
        }
    )
    raw["azure"]["registrationTimeoutMinutes"] = 1440
    raw["machines"][0]["retire"] = True
    config = parse_wave(raw)
    assert config.azure.replication_policy.recovery_point_history_minutes == 21600
    assert (config.azure.registration_timeout_minutes, config.machines[0].retire) == (1440, True)


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [
        ("azure.replicationPolicy.recoveryPointHistoryMinutes", -1, "must be greater than or equal to 0"),
        ("azure.replicationPolicy.crashConsistentFrequencyMinutes", 1, "must be greater than or equal to 5"),
        ("azure.replicationPolicy.appConsistentFrequencyMinutes", 721, "must be less than or equal to 720"),
        ("azure.registrationTimeoutMinutes", 0, "must be greater than or equal to 1"),
        ("machines.0.retire", "later", "must be a valid boolean"),
    ],
)
def test_bad_replication_settings_name_path_value_and_rule(path: str, value: Any, rule: str) -> None:
    assert problems_of(set_path(wave(), path, value)) == [
        f"migration:wave.{path.replace('.0.', '[0].')}: {value!r} {rule}"
    ]


def test_recovery_point_history_is_bounded_by_the_architecture() -> None:
    raw = wave(architecture="classic")
    raw["azure"]["replicationPolicy"]["recoveryPointHistoryMinutes"] = 4321
    assert problems_of(raw) == [
        "migration:wave.azure.replicationPolicy.recoveryPointHistoryMinutes: 4321 must be at most 4320 for the classic architecture"
    ]
    raw = wave()
    raw["azure"]["replicationPolicy"]["recoveryPointHistoryMinutes"] = 21601
    assert problems_of(raw) == [
        "migration:wave.azure.replicationPolicy.recoveryPointHistoryMinutes: 21601 must be at most 21600 for the modernized architecture"
    ]


def test_lifecycle_defaults_and_overrides() -> None:
    assert parse_wave(wave()).lifecycle.model_dump() == {
        "phase": "replicate",
        "orchestration": "perMachine",
        "max_concurrency": 10,
        "test_failover_max_age_days": 7,
        "recovery_point": "latest",
        "shutdown_source": True,
        "cleanup_notes": None,
    }
    raw = wave(lifecycle={"phase": "tested", "recoveryPoint": "2026-05-01T22:00:00Z", "maxConcurrency": 50})
    raw["machines"][0].update(phase="cutover", skipTestFailover="stateless, rebuilt from the image pipeline")
    parsed = parse_wave(raw)
    assert (parsed.lifecycle.phase, parsed.lifecycle.recovery_point, parsed.lifecycle.max_concurrency) == (
        "tested",
        "2026-05-01T22:00:00Z",
        50,
    )
    assert (parsed.machines[0].phase, parsed.machines[1].phase) == ("cutover", None)
    assert parsed.machines[0].skip_test_failover == "stateless, rebuilt from the image pipeline"


@pytest.mark.parametrize(
    ("lifecycle", "machine", "expected"),
    [
        (
            {"phase": "done"},
            {},
            "migration:wave.lifecycle.phase: 'done' must be 'replicate', 'test', 'tested', 'cutover' or 'complete'",
        ),
        (
            {"orchestration": "plan"},
            {},
            "migration:wave.lifecycle.orchestration: 'plan' must be 'perMachine' or 'recoveryPlan'",
        ),
        ({"maxConcurrency": 0}, {}, "migration:wave.lifecycle.maxConcurrency: 0 must be greater than or equal to 1"),
        (
            {"recoveryPoint": "yesterday"},
            {},
            "migration:wave.lifecycle.recoveryPoint: 'yesterday' must be one of latest, latestProcessed,"
            " latestAppConsistent or an ISO 8601 time with a time zone, like 2026-05-01T22:00:00Z",
        ),
        (
            {"orchestration": "recoveryPlan", "recoveryPoint": "2026-05-01T22:00:00Z"},
            {},
            "migration:wave.lifecycle.recoveryPoint: '2026-05-01T22:00:00Z' must be one of latest, latestProcessed,"
            " latestAppConsistent with orchestration recoveryPlan (a recovery plan takes a recovery point type, not a time)",
        ),
        (
            {"orchestration": "recoveryPlan"},
            {"phase": "test"},
            "migration:wave.machines[0].phase: 'test' needs lifecycle.orchestration: perMachine (a recovery plan moves the whole wave)",
        ),
        (
            {},
            {"skipTestFailover": "  "},
            "migration:wave.machines[0].skipTestFailover: '  ' must say why the test failover is skipped",
        ),
    ],
)
def test_bad_lifecycle_settings_name_path_value_and_rule(
    lifecycle: dict[str, Any], machine: dict[str, Any], expected: str
) -> None:
    raw = wave(lifecycle=lifecycle)
    raw["machines"][0].update(machine)
    assert problems_of(raw) == [expected]
