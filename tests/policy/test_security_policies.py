"""Security: storage transport and exposure, management ingress, appliance host hardening, vault soft delete."""

from __future__ import annotations

import pytest

from tests.policy.engine import check_resource

SA = "azure-native:storage:StorageAccount"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
INSTANCE = "aws:ec2/instance:Instance"
VAULT = "azure-native:recoveryservices:Vault"

STORAGE = {
    "accountName": "stasrcachewave1weu",
    "resourceGroupName": "rg-migration-wave1-weu",
    "location": "westeurope",
    "kind": "StorageV2",
    "sku": {"name": "Standard_RAGRS"},
    "enableHttpsTrafficOnly": True,
    "minimumTlsVersion": "TLS1_2",
    "allowBlobPublicAccess": False,
    "tags": {"migration-wave": "wave1"},
}


@pytest.mark.parametrize(
    "name", ["storage-https-only", "storage-minimum-tls", "storage-no-public-blob-access", "storage-geo-redundant"]
)
def test_the_programs_storage_account_passes(name: str) -> None:
    assert check_resource(name, SA, STORAGE) == []


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("storage-https-only", {"enableHttpsTrafficOnly": False}, "enableHttpsTrafficOnly is false; set it to true."),
        ("storage-https-only", {"enableHttpsTrafficOnly": None}, "enableHttpsTrafficOnly is null; set it to true."),
        (
            "storage-minimum-tls",
            {"minimumTlsVersion": "TLS1_0"},
            "minimumTlsVersion is \"TLS1_0\"; set it to 'TLS1_2' or later.",
        ),
        ("storage-minimum-tls", {"minimumTlsVersion": None}, "minimumTlsVersion is null; set it to 'TLS1_2' or later."),
        (
            "storage-no-public-blob-access",
            {"allowBlobPublicAccess": True},
            "allowBlobPublicAccess is true; set it to false.",
        ),
    ],
)
def test_storage_security_violations(name: str, change: dict, message: str) -> None:
    props = {k: v for k, v in {**STORAGE, **change}.items() if v is not None}
    assert [v.message for v in check_resource(name, SA, props)] == [message]


def test_minimum_tls_is_configurable() -> None:
    assert len(check_resource("storage-minimum-tls", SA, STORAGE, config={"minimumTlsVersion": "TLS1_3"})) == 1
    assert check_resource("storage-minimum-tls", SA, {**STORAGE, "minimumTlsVersion": "TLS1_3"}) == []


def test_a_dr_stacks_locally_redundant_a2a_cache_is_not_flagged() -> None:
    """Issue 27: the DR stack's cache account is Standard_LRS by design, and it has no wave key to set."""
    lrs = {**STORAGE, "sku": {"name": "Standard_LRS"}}
    dr = {"migration:dr": {"waveStack": "organization/migration/wave1", "location": "northeurope"}}
    assert check_resource("storage-geo-redundant", SA, lrs, stack_config=dr) == []


def test_geo_redundancy_flags_locally_redundant_storage() -> None:
    violations = check_resource("storage-geo-redundant", SA, {**STORAGE, "sku": {"name": "Standard_LRS"}})
    assert len(violations) == 1 and violations[0].message.startswith('sku.name is "Standard_LRS"')
    assert (
        check_resource(
            "storage-geo-redundant",
            SA,
            {**STORAGE, "sku": {"name": "Standard_LRS"}},
            config={"allowedSkus": ["Standard_LRS"]},
        )
        == []
    )


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (
            SG,
            {
                "vpcId": "vpc-1",
                "ingress": [{"cidrBlocks": ["198.51.100.0/24"], "fromPort": 3389, "toPort": 3389, "protocol": "tcp"}],
            },
        ),
        (
            SG,
            {
                "vpcId": "vpc-1",
                "ingress": [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 443, "toPort": 443, "protocol": "tcp"}],
            },
        ),
        (
            SG,
            {
                "vpcId": "vpc-1",
                "ingress": [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 0, "toPort": 0, "protocol": "icmp"}],
            },
        ),
        (
            SG_RULE,
            {
                "type": "egress",
                "cidrBlocks": ["0.0.0.0/0"],
                "fromPort": 0,
                "toPort": 0,
                "protocol": "-1",
                "securityGroupId": "sg-1",
            },
        ),
        (
            INGRESS_RULE,
            {
                "securityGroupId": "sg-1",
                "cidrIpv4": "198.51.100.0/24",
                "fromPort": 3389,
                "toPort": 3389,
                "ipProtocol": "tcp",
            },
        ),
        (
            INGRESS_RULE,
            {"securityGroupId": "sg-1", "cidrIpv4": "0.0.0.0/0", "fromPort": 9443, "toPort": 9443, "ipProtocol": "tcp"},
        ),
    ],
)
def test_ingress_that_does_not_open_management_ports_to_the_internet_passes(resource_type: str, props: dict) -> None:
    assert check_resource("no-open-management-ingress", resource_type, props) == []


@pytest.mark.parametrize(
    ("resource_type", "props", "message"),
    [
        (
            INGRESS_RULE,
            {"securityGroupId": "sg-1", "cidrIpv4": "0.0.0.0/0", "fromPort": 3389, "toPort": 3389, "ipProtocol": "tcp"},
            "rule opens management port(s) 3389 to 0.0.0.0/0",
        ),
        (
            INGRESS_RULE,
            {"securityGroupId": "sg-1", "cidrIpv6": "::/0", "ipProtocol": "-1"},
            "rule opens management port(s) 22, 3389, 5985, 5986 to ::/0",
        ),
        (
            SG,
            {
                "ingress": [
                    {"cidrBlocks": ["10.0.0.0/8"], "fromPort": 22, "toPort": 22, "protocol": "tcp"},
                    {
                        "cidrBlocks": ["0.0.0.0/0"],
                        "ipv6CidrBlocks": ["::/0"],
                        "fromPort": 5000,
                        "toPort": 6000,
                        "protocol": "tcp",
                    },
                ]
            },
            "ingress[1] opens management port(s) 5985, 5986 to 0.0.0.0/0, ::/0",
        ),
        (
            SG_RULE,
            {
                "type": "ingress",
                "cidrBlocks": ["0.0.0.0/0"],
                "fromPort": 22,
                "toPort": 22,
                "protocol": "tcp",
                "securityGroupId": "sg-1",
            },
            "rule opens management port(s) 22 to 0.0.0.0/0",
        ),
        (
            SG_RULE,
            {
                "type": "ingress",
                "cidrBlocks": ["0.0.0.0/0"],
                "fromPort": 0,
                "toPort": 0,
                "protocol": "all",
                "securityGroupId": "sg-1",
            },
            "rule opens management port(s) 22, 3389, 5985, 5986 to 0.0.0.0/0",
        ),
    ],
)
def test_management_ports_open_to_the_internet_fail(resource_type: str, props: dict, message: str) -> None:
    violations = check_resource("no-open-management-ingress", resource_type, props)
    assert len(violations) == 1
    assert violations[0].message.startswith(message + ";"), violations[0].message


def test_management_ports_are_configurable() -> None:
    props = {"securityGroupId": "sg-1", "cidrIpv4": "0.0.0.0/0", "fromPort": 9443, "toPort": 9443, "ipProtocol": "tcp"}
    violations = check_resource(
        "no-open-management-ingress", INGRESS_RULE, props, config={"managementPorts": [22, 9443]}
    )
    assert len(violations) == 1 and "port(s) 9443 " in violations[0].message


HOST = {
    "ami": "ami-0123456789abcdef0",
    "instanceType": "c5.2xlarge",
    "subnetId": "subnet-0a1b2c3d4e5f60718",
    "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled"},
    "rootBlockDevice": {"volumeSize": 80, "encrypted": True, "volumeType": "gp3"},
    "ebsBlockDevices": [{"deviceName": "/dev/sdb", "volumeSize": 620, "encrypted": True}],
}


def test_the_programs_appliance_host_passes() -> None:
    assert check_resource("appliance-host-imdsv2", INSTANCE, HOST) == []
    assert check_resource("appliance-host-ebs-encrypted", INSTANCE, HOST) == []


def test_imdsv1_fails() -> None:
    props = {**HOST, "metadataOptions": {"httpTokens": "optional", "httpEndpoint": "enabled"}}
    assert [v.message for v in check_resource("appliance-host-imdsv2", INSTANCE, props)] == [
        "metadataOptions.httpTokens is \"optional\"; set it to 'required' (IMDSv2 only)."
    ]
    no_options = {k: v for k, v in HOST.items() if k != "metadataOptions"}
    assert len(check_resource("appliance-host-imdsv2", INSTANCE, no_options)) == 1


def test_unencrypted_volumes_fail() -> None:
    props = {
        **HOST,
        "rootBlockDevice": {"volumeSize": 80, "volumeType": "gp3"},
        "ebsBlockDevices": [{"deviceName": "/dev/sdb", "volumeSize": 620, "encrypted": False}],
    }
    messages = [v.message for v in check_resource("appliance-host-ebs-encrypted", INSTANCE, props)]
    assert messages == [
        "rootBlockDevice.encrypted is not true; set it explicitly (the account's EBS encryption-by-default setting"
        " is not visible to the policy).",
        "ebsBlockDevices[0] (/dev/sdb) is not encrypted; set encrypted: true.",
    ]
    volume = check_resource(
        "appliance-host-ebs-encrypted", "aws:ebs/volume:Volume", {"size": 620, "availabilityZone": "eu-west-1a"}
    )
    assert [v.message for v in volume] == ["encrypted is null; set it to true."]


VAULT_PROPS = {
    "vaultName": "rsv-migration-wave1-weu",
    "location": "westeurope",
    "sku": {"name": "RS0", "tier": "Standard"},
    "properties": {
        "publicNetworkAccess": "Enabled",
        "securitySettings": {"softDeleteSettings": {"softDeleteState": "Enabled"}},
    },
}


def test_vault_soft_delete() -> None:
    assert check_resource("vault-soft-delete-enabled", VAULT, VAULT_PROPS) == []
    assert (
        check_resource("vault-soft-delete-enabled", VAULT, {**VAULT_PROPS, "properties": {}}) == []
    )  # Azure's default: on
    disabled = {
        **VAULT_PROPS,
        "properties": {"securitySettings": {"softDeleteSettings": {"softDeleteState": "Disabled"}}},
    }
    violations = check_resource("vault-soft-delete-enabled", VAULT, disabled)
    assert len(violations) == 1
    assert violations[0].message.startswith(
        'properties.securitySettings.softDeleteSettings.softDeleteState is "Disabled"'
    )
