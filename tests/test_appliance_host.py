"""ApplianceHost under the project's offline engine: what it would create in AWS, and where each secret goes."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import rpc

from components import limits
from components.appliance_host import ApplianceHost
from components.config import parse_wave
from components.migration_wave import appliance_host_args
from components.secrets import load_secrets
from migrate_tool.offline import engine
from migrate_tool.offline.engine import PlannedResource, ProgramRun, run_program

NAME = "wave1-appliance"
COMPONENT = "migration:aws:ApplianceHost"

SECRET_VALUES = {
    "vaultRegistrationKey": "vault-key-Qx7Lm2Zr9Tq4",
    "appliancePassphrase": "passphrase-Hd83kPw0Yn5v",
    "mysqlRootPassword": "mysql-root-Vb61sFe2Ju8c",
    "mysqlUserPassword": "mysql-user-Kr40wDa7Mz3x",
}

WAVE: dict[str, Any] = {
    "name": "wave1",
    "architecture": "modernized",
    "tags": {"owner": "platform-team"},
    "azure": {
        "location": "westeurope",
        "resourceGroup": "rg-migration-wave1",
        "storageAccount": "stasrcachewave1",
        "vault": "rsv-migration-wave1",
        "network": {
            "name": "vnet-wave1",
            "addressSpace": ["10.20.0.0/16"],
            "subnets": [{"name": "snet-app", "prefix": "10.20.1.0/24"}],
        },
        "replicationPolicy": {"name": "policy-wave1"},
    },
    "aws": {
        "region": "eu-west-1",
        "vpcId": "vpc-0a1b2c3d4e5f60718",
        "subnetId": "subnet-0a1b2c3d4e5f60718",
        "adminCidr": "198.51.100.0/24",
        "applianceHost": {"name": "asr-appliance-01"},
    },
    "machines": [
        {"name": "orders-web01", "instanceId": "i-0a11b22c33d44e551", "privateIp": "172.31.10.21", "os": "windows"},
        {"name": "orders-api01", "instanceId": "i-0a11b22c33d44e553", "privateIp": "172.31.20.31", "os": "linux"},
        {"name": "orders-db01", "instanceId": "i-0a11b22c33d44e555", "privateIp": "172.31.30.41", "os": "linux"},
    ],
}


def classic_wave() -> dict[str, Any]:
    raw = copy.deepcopy(WAVE)
    raw["architecture"] = "classic"
    raw["azure"]["existingVaultResourceGroup"] = "rg-classic-vault"  # only an existing vault runs classic
    raw["aws"]["mobilityInstallerS3Uri"] = "s3://classic-asr-agents/repository/"  # agents through SSM
    raw["aws"]["region"] = "us-east-2"
    raw["aws"]["applianceHost"] = {
        "name": "asr-config-server",
        "osDiskGb": 100,
        "dataDiskGb": 700,
        "keyName": "ops-key",
    }
    return raw


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every provider function call (get_ami) the program makes, recorded around the engine's own answer."""
    recorded: list[Any] = []
    answer = engine.PlanMocks.call

    def record(self: engine.PlanMocks, args: Any) -> Any:
        recorded.append(args)
        return answer(self, args)

    monkeypatch.setattr(engine.PlanMocks, "call", record)
    return recorded


def plan(raw: dict[str, Any]) -> ProgramRun:
    wave = parse_wave(raw)

    def program() -> None:
        provider = aws.Provider("aws", region=wave.aws.region)
        host = ApplianceHost(
            NAME,
            appliance_host_args(wave, load_secrets(wave.architecture)),
            opts=pulumi.ResourceOptions(providers={"aws": provider}),
        )
        for key in ("instance_id", "private_ip", "security_group_id", "secret_arn", "role_arn"):
            pulumi.export(key, getattr(host, key))

    keys = [f"migration:{key}" for key in SECRET_VALUES]
    config = {f"migration:{key}": value for key, value in SECRET_VALUES.items()}
    return run_program(program, "migration", "test", config, keys)


def of_type(run: ProgramRun, type_: str) -> list[PlannedResource]:
    return [r for r in run.resources if r.type == type_]


def one(run: ProgramRun, type_: str) -> PlannedResource:
    found = of_type(run, type_)
    assert len(found) == 1, f"expected one {type_}, found {[r.urn for r in found]}"
    return found[0]


def group(run: ProgramRun, suffix: str = "-sg") -> PlannedResource:
    """The appliance's security group (`-sg`) or the group of the wave's sources (`-sources-sg`)."""
    [found] = [r for r in of_type(run, "aws:ec2/securityGroup:SecurityGroup") if r.name == f"{NAME}{suffix}"]
    return found


def component(run: ProgramRun) -> PlannedResource:
    return one(run, COMPONENT)


def children(run: ProgramRun) -> Iterator[PlannedResource]:
    parent = component(run).urn
    return (r for r in run.resources if r.parent_urn == parent)


@pytest.fixture(scope="module")
def modernized() -> ProgramRun:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PULUMI_ERROR_OUTPUT_STRING", "true")
        return plan(WAVE)


# --- Shape ---------------------------------------------------------------------------------------


def test_children_are_named_after_the_component_and_parented_to_it(modernized: ProgramRun) -> None:
    kinds = sorted(r.type for r in children(modernized))
    assert kinds == sorted(
        [
            "aws:ec2/securityGroup:SecurityGroup",
            "aws:ec2/securityGroup:SecurityGroup",  # the sources group the appliance admits
            "aws:secretsmanager/secret:Secret",
            "aws:secretsmanager/secretVersion:SecretVersion",
        ]
        + [
            "aws:iam/role:Role",
            "aws:iam/rolePolicy:RolePolicy",
            "aws:iam/rolePolicy:RolePolicy",  # publishes the installers to the wave bucket
            "migration:aws:AgentBucket",
            "aws:iam/instanceProfile:InstanceProfile",
            "aws:ec2/instance:Instance",
        ]
        + ["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"] * (2 + 1)
        + ["aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"]
    )
    for resource in children(modernized):
        assert resource.name.startswith(f"{NAME}-"), resource.urn


def test_every_aws_resource_uses_the_wave_region_provider(modernized: ProgramRun) -> None:
    provider = one(modernized, "pulumi:providers:aws")
    assert provider.inputs["region"] == "eu-west-1"
    for resource in modernized.resources:
        if resource.type.startswith("aws:"):
            assert resource.provider == provider.urn, resource.urn
    assert (
        one(modernized, "aws:secretsmanager/secret:Secret").state["arn"].startswith("arn:aws:secretsmanager:eu-west-1:")
    )


# --- Instance ------------------------------------------------------------------------------------


def test_instance_is_sized_per_the_support_matrix_with_encrypted_gp3_disks(modernized: ProgramRun) -> None:
    instance = one(modernized, "aws:ec2/instance:Instance").inputs
    assert instance["instanceType"] == "c5.2xlarge"
    assert instance["subnetId"] == "subnet-0a1b2c3d4e5f60718"
    assert instance["rootBlockDevice"]["volumeSize"] == 80
    assert instance["rootBlockDevice"]["volumeType"] == "gp3"
    assert instance["rootBlockDevice"]["encrypted"] is True
    [data] = instance["ebsBlockDevices"]
    assert (data["deviceName"], data["volumeSize"], data["volumeType"], data["encrypted"]) == ("xvdf", 620, "gp3", True)
    assert "keyName" not in instance


def test_instance_requires_imdsv2(modernized: ProgramRun) -> None:
    metadata = one(modernized, "aws:ec2/instance:Instance").inputs["metadataOptions"]
    assert metadata["httpTokens"] == "required"
    assert metadata["httpEndpoint"] == "enabled"


def test_instance_is_wired_to_its_group_and_profile_and_tagged(modernized: ProgramRun) -> None:
    instance = one(modernized, "aws:ec2/instance:Instance").inputs
    assert instance["vpcSecurityGroupIds"] == [group(modernized).id]
    assert instance["iamInstanceProfile"] == one(modernized, "aws:iam/instanceProfile:InstanceProfile").state["name"]
    assert instance["tags"] == {
        "owner": "platform-team",
        "migration-wave": "wave1",
        "managed-by": "pulumi-asr-migration",
        "Name": "asr-appliance-01",
    }


def test_modernized_ami_is_the_newest_amazon_windows_server_2022(calls: list[Any]) -> None:
    run = plan(WAVE)
    [call] = [c for c in calls if c.token == "aws:ec2/getAmi:getAmi"]
    assert call.args["owners"] == ["amazon"]
    assert call.args["mostRecent"] is True
    assert {"name": "name", "values": ["Windows_Server-2022-English-Full-Base-*"]} in call.args["filters"]
    assert call.provider.startswith(one(run, "pulumi:providers:aws").urn)
    image_id = engine.PlanMocks().call(call)[0]["id"]
    assert one(run, "aws:ec2/instance:Instance").inputs["ami"] == image_id


def test_classic_ami_is_windows_server_2012_r2_and_sizes_and_key_come_from_config(calls: list[Any]) -> None:
    run = plan(classic_wave())
    [call] = [c for c in calls if c.token == "aws:ec2/getAmi:getAmi"]
    assert {"name": "name", "values": ["Windows_Server-2012-R2_RTM-English-64Bit-Base-*"]} in call.args["filters"]
    instance = one(run, "aws:ec2/instance:Instance").inputs
    assert instance["rootBlockDevice"]["volumeSize"] == 100
    assert instance["ebsBlockDevices"][0]["volumeSize"] == 700
    assert instance["keyName"] == "ops-key"
    assert one(run, "aws:secretsmanager/secret:Secret").state["arn"].startswith("arn:aws:secretsmanager:us-east-2:")


def test_configured_ami_is_used_without_a_lookup(calls: list[Any]) -> None:
    raw = copy.deepcopy(WAVE)
    raw["aws"]["applianceHost"]["amiId"] = "ami-0123456789abcdef0"
    run = plan(raw)
    assert [c for c in calls if c.token == "aws:ec2/getAmi:getAmi"] == []
    assert one(run, "aws:ec2/instance:Instance").inputs["ami"] == "ami-0123456789abcdef0"


# --- Security group ------------------------------------------------------------------------------


def test_security_groups_have_no_inline_rules(modernized: ProgramRun) -> None:
    appliance, sources = group(modernized).inputs, group(modernized, "-sources-sg").inputs
    assert appliance["vpcId"] == sources["vpcId"] == "vpc-0a1b2c3d4e5f60718"
    assert (appliance["name"], sources["name"]) == ("asr-appliance-01-replication", "asr-appliance-01-sources")
    for inputs in (appliance, sources):
        assert not inputs.get("ingress") and not inputs.get("egress")


def test_ingress_is_replication_from_the_sources_group_and_rdp_from_admins_only(modernized: ProgramRun) -> None:
    rules = [
        r for r in of_type(modernized, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == group(modernized).id
    ]  # fmt: skip
    sources = group(modernized, "-sources-sg").id
    seen = {
        (r.inputs.get("referencedSecurityGroupId") or r.inputs.get("cidrIpv4"), r.inputs["ipProtocol"],
         r.inputs["fromPort"], r.inputs["toPort"])
        for r in rules
    }  # fmt: skip
    assert seen == {(sources, "tcp", 443, 443), (sources, "tcp", 9443, 9443), ("198.51.100.0/24", "tcp", 3389, 3389)}
    assert len(rules) == 3
    for rule in rules:
        assert rule.inputs["securityGroupId"] == group(modernized).id, rule.urn


@pytest.mark.parametrize("machines", [6, 200])
def test_the_appliance_group_has_the_same_rules_at_any_wave_size(machines: int) -> None:
    """Issue 25: two /32 rules per machine passed AWS's 60 inbound rules per group at 30 machines."""
    raw = copy.deepcopy(WAVE)
    raw["machines"] = [
        {
            "name": f"vm{n:03d}",
            "instanceId": f"i-{n:017x}",
            "privateIp": f"172.31.{n // 250}.{n % 250 + 4}",
            "os": "linux",
        }
        for n in range(machines)
    ]
    run = plan(raw)
    inbound = [
        r for r in of_type(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == group(run).id
    ]  # fmt: skip
    assert len(inbound) == 3 <= limits.SECURITY_GROUP_INBOUND_RULES.value


def test_egress_is_https_only(modernized: ProgramRun) -> None:
    rule = one(modernized, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").inputs
    assert (rule["cidrIpv4"], rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("0.0.0.0/0", "tcp", 443, 443)
    assert rule["securityGroupId"] == group(modernized).id


# --- Secret and IAM ------------------------------------------------------------------------------


def test_secret_version_holds_exactly_the_architecture_secrets_and_is_marked_secret(modernized: ProgramRun) -> None:
    version = one(modernized, "aws:secretsmanager/secretVersion:SecretVersion")
    assert version.inputs["secretId"] == one(modernized, "aws:secretsmanager/secret:Secret").id
    secret_string = version.inputs["secretString"]
    assert secret_string[rpc._special_sig_key] == rpc._special_secret_sig, (
        "secretString must reach the engine as a secret"
    )
    stored = json.loads(secret_string["value"])
    assert stored == {key: SECRET_VALUES[key] for key in ("vaultRegistrationKey", "appliancePassphrase")}


def test_classic_secret_also_holds_the_mysql_passwords() -> None:
    run = plan(classic_wave())
    stored = json.loads(one(run, "aws:secretsmanager/secretVersion:SecretVersion").inputs["secretString"]["value"])
    assert stored == SECRET_VALUES


def test_role_is_assumable_by_ec2_only(modernized: ProgramRun) -> None:
    trust = json.loads(one(modernized, "aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]


def test_role_may_read_exactly_this_wave_secret(modernized: ProgramRun) -> None:
    [policy] = [
        r.inputs for r in of_type(modernized, "aws:iam/rolePolicy:RolePolicy") if r.name == f"{NAME}-read-secret"
    ]
    role = one(modernized, "aws:iam/role:Role")
    assert policy["role"] == role.id
    document = json.loads(policy["policy"])
    secret_arn = one(modernized, "aws:secretsmanager/secret:Secret").state["arn"]
    assert document["Statement"] == [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn}
    ]
    assert one(modernized, "aws:iam/instanceProfile:InstanceProfile").inputs["role"] == role.state["name"]


# --- User data and where the secrets go ----------------------------------------------------------


def test_user_data_reads_this_wave_secret_by_arn(modernized: ProgramRun) -> None:
    user_data = one(modernized, "aws:ec2/instance:Instance").inputs["userData"]
    secret_arn = one(modernized, "aws:secretsmanager/secret:Secret").state["arn"]
    assert user_data.startswith("<powershell>")
    assert f"$SecretArn = '{secret_arn}'" in user_data
    assert "$Region = 'eu-west-1'" in user_data
    assert "$DataDiskGb = 620" in user_data


@pytest.mark.parametrize("raw", [WAVE, classic_wave()], ids=["modernized", "classic"])
def test_secret_values_appear_only_in_the_secret_version(raw: dict[str, Any]) -> None:
    run = plan(raw)
    for resource in run.resources:
        if resource.type == "aws:secretsmanager/secretVersion:SecretVersion":
            continue
        text = json.dumps([resource.inputs, resource.state], default=str)
        for key, value in SECRET_VALUES.items():
            assert value not in text, f"{key} leaked into {resource.urn}"
    outputs = json.dumps(run.outputs, default=str)
    for key, value in SECRET_VALUES.items():
        assert value not in outputs, f"{key} leaked into a stack output"


def test_outputs_are_the_created_resources_and_not_secret(modernized: ProgramRun) -> None:
    instance = one(modernized, "aws:ec2/instance:Instance")
    assert modernized.outputs == {
        "instance_id": instance.id,
        "private_ip": instance.state["privateIp"],
        "security_group_id": group(modernized).id,
        "secret_arn": one(modernized, "aws:secretsmanager/secret:Secret").state["arn"],
        "role_arn": one(modernized, "aws:iam/role:Role").state["arn"],
    }
    assert instance.id.startswith("i-")
    assert modernized.secret_outputs == set()
