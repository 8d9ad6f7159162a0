"""SourcePreparation under Pulumi mocks: which SSM resources, with which targets, and no passphrase in sight."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc

from components.config import parse_wave
from components.migration_wave import source_preparation_args
from components.secrets import WaveSecrets
from components.source_prep import SourcePreparation
from tests.waves import SECRETS, wave

PASSPHRASE = SECRETS["migration:appliancePassphrase"]
INSTALLERS = "s3://asr-installers-eu/agents/9.66/"
APPLIANCE_IP = "172.31.5.10"
SOURCES_GROUP = "sg-0a1b2c3d4e5f6a7b8"  # the appliance host's sources group
SECRET_SIG = rpc._special_sig_key  # how a secret travels to the engine: {sig: secret-sig, "value": ...}
SECRET_SIG_VALUE = rpc._special_secret_sig


class AwsMocks(pulumi.runtime.Mocks):
    """Records every resource and answers with the computed outputs the real provider returns."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.resources.append(args)
        outputs = dict(args.inputs)
        if args.typ == "aws:ssm/association:Association":
            resource_id = str(uuid.uuid4())
            outputs.update(
                associationId=resource_id, arn=f"arn:aws:ssm:eu-west-1:123456789012:association/{resource_id}"
            )
        elif args.typ == "aws:ssm/document:Document":
            resource_id = args.inputs["name"]
            outputs.update(arn=f"arn:aws:ssm:eu-west-1:123456789012:document/{resource_id}", status="Active")
        elif args.typ == "aws:ssm/parameter:Parameter":
            resource_id = args.inputs["name"]
            outputs.update(arn=f"arn:aws:ssm:eu-west-1:123456789012:parameter{resource_id}", version=1)
        elif args.typ == "aws:ec2/tag:Tag":
            resource_id = f"{args.inputs['resourceId']},{args.inputs['key']}"
        else:
            resource_id = f"{args.name}-id"
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "aws:ec2/getInstance:getInstance":  # the instance's primary network interface
            return {"id": args.args["instanceId"], "networkInterfaceId": "eni-" + args.args["instanceId"][2:]}, []
        return {}, None

    def of_type(self, typ: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ == typ]

    def named(self, typ: str, suffix: str) -> pulumi.runtime.MockResourceArgs:
        found = [r for r in self.of_type(typ) if r.name.endswith(suffix)]
        assert len(found) == 1, f"expected one {typ} named *{suffix}, got {[r.name for r in self.of_type(typ)]}"
        return found[0]


@pytest.fixture
def mocks() -> AwsMocks:
    mocks = AwsMocks()
    pulumi.runtime.set_mocks(mocks, project="migration", stack="test", preview=False)
    return mocks


def secrets() -> WaveSecrets:
    return WaveSecrets({key.split(":")[1]: pulumi.Output.secret(value) for key, value in SECRETS.items()})


def mixed_wave(architecture: str = "modernized", local_accounts: tuple[str, ...] = ()) -> Any:
    raw = wave(architecture=architecture)
    raw["machines"].append(
        {"name": "app01", "instanceId": "i-0aaaabbbbccccdddd", "privateIp": "172.31.10.13", "os": "windows"}
    )
    for machine in raw["machines"]:
        machine["localAccount"] = machine["name"] in local_accounts
    return parse_wave(raw)


def prepare(
    architecture: str = "modernized", mobility_installer_s3_uri: str | None = None, local_accounts: tuple[str, ...] = ()
) -> SourcePreparation:
    """The component as MigrationWave declares it, for the mixed wave with `localAccount` on `local_accounts`."""
    config = mixed_wave(architecture, local_accounts)
    args = source_preparation_args(
        config,
        config.machines,
        secrets().values.get("appliancePassphrase"),
        pulumi.Output.from_input(APPLIANCE_IP),
        mobility_installer_s3_uri,
        SOURCES_GROUP,
    )
    return SourcePreparation("wave1-source", args)


def settled(prep: SourcePreparation) -> pulumi.Output[Any]:
    """An Output that resolves only after every child resource has been registered."""
    return pulumi.Output.all(
        prep.preparations,
        *prep.association_ids.values(),
        *prep.wave_tag_ids.values(),
        *prep.appliance_access_ids.values(),
    )


@pulumi.runtime.test
def test_every_machine_gets_the_wave_tag_the_mobility_association_targets(mocks: AwsMocks) -> pulumi.Output[Any]:
    prep = prepare(mobility_installer_s3_uri=INSTALLERS)

    def check(_: Any) -> None:
        tags = {t.inputs["resourceId"]: t.inputs for t in mocks.of_type("aws:ec2/tag:Tag")}
        assert set(tags) == {"i-0123456789abcdef0", "i-0fedcba9876543210", "i-0aaaabbbbccccdddd"}, tags
        assert {(t["key"], t["value"]) for t in tags.values()} == {("migration-wave", "wave1")}
        association = mocks.named("aws:ssm/association:Association", "-mobility-agent")
        assert association.inputs["targets"] == [{"key": "tag:migration-wave", "values": ["wave1"]}], association.name
        assert association.inputs["name"] == "migration-wave1-mobility-agent"
        assert association.inputs["parameters"] == {
            "ApplianceIp": APPLIANCE_IP,
            "CsType": "CSPrime",
            "InstallerS3Uri": INSTALLERS,
            "InstallerEndpointUrl": "",  # an operator's own location is read as before
            "PassphraseParameter": "/migration/wave1/appliance-passphrase",
        }, association.name

    return settled(prep).apply(check)


@pulumi.runtime.test
def test_every_machines_primary_interface_joins_the_group_the_appliance_admits(mocks: AwsMocks) -> pulumi.Output[Any]:
    """The appliance admits its sources by this group (one rule per port at any wave size), so each source's primary
    network interface gets it, beside its own groups."""
    prep = prepare()

    def check(_: Any) -> None:
        attachments = mocks.of_type(
            "aws:ec2/networkInterfaceSecurityGroupAttachment:NetworkInterfaceSecurityGroupAttachment"
        )
        assert sorted((a.inputs["networkInterfaceId"], a.inputs["securityGroupId"]) for a in attachments) == [
            ("eni-0123456789abcdef0", SOURCES_GROUP),
            ("eni-0aaaabbbbccccdddd", SOURCES_GROUP),
            ("eni-0fedcba9876543210", SOURCES_GROUP),
        ]

    return settled(prep).apply(check)


@pulumi.runtime.test
def test_local_account_policy_targets_exactly_the_named_windows_machines(mocks: AwsMocks) -> pulumi.Output[Any]:
    prep = prepare(local_accounts=("web01",))

    def check(preparations: list[Any]) -> None:
        association = mocks.named("aws:ssm/association:Association", "-local-account-policy")
        assert association.inputs["targets"] == [{"key": "InstanceIds", "values": ["i-0123456789abcdef0"]}]
        document = json.loads(mocks.named("aws:ssm/document:Document", "-local-account-policy").inputs["content"])
        step = document["mainSteps"][0]
        script = "\n".join(step["inputs"]["runCommand"])
        assert step["precondition"] == {"StringEquals": ["platformType", "Windows"]}
        assert "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System" in script
        assert "-Name LocalAccountTokenFilterPolicy -PropertyType DWord -Value 1" in script
        assert preparations[0] == {
            "web01": ["wave-tag", "appliance-access", "local-account-policy"],
            "db01": ["wave-tag", "appliance-access"],
            "app01": ["wave-tag", "appliance-access"],
        }
        # No installer location: no agent, and the passphrase is not copied into AWS for nothing.
        assert not mocks.of_type("aws:ssm/parameter:Parameter")
        assert [r.name for r in mocks.of_type("aws:ssm/association:Association")] == [
            "wave1-source-local-account-policy"
        ]

    return settled(prep).apply(check)


@pulumi.runtime.test
def test_classic_waves_register_with_cslegacy(mocks: AwsMocks) -> pulumi.Output[Any]:
    prep = prepare("classic", mobility_installer_s3_uri=INSTALLERS)

    def check(_: Any) -> None:
        association = mocks.named("aws:ssm/association:Association", "-mobility-agent")
        assert association.inputs["parameters"]["CsType"] == "CSLegacy"

    return settled(prep).apply(check)


@pulumi.runtime.test
def test_the_passphrase_only_reaches_the_secure_string_parameter(mocks: AwsMocks) -> pulumi.Output[Any]:
    prep = prepare(mobility_installer_s3_uri=INSTALLERS, local_accounts=("web01", "app01"))

    def check(args: list[Any]) -> None:
        parameter = mocks.named("aws:ssm/parameter:Parameter", "-appliance-passphrase")
        assert parameter.inputs["type"] == "SecureString"
        # The engine receives the value wrapped as a secret (Pulumi's secret signature), never bare.
        assert parameter.inputs["value"] == {SECRET_SIG: SECRET_SIG_VALUE, "value": PASSPHRASE}, parameter.inputs[
            "value"
        ]
        elsewhere = [r for r in mocks.resources if r is not parameter]
        leaked = [r.name for r in elsewhere if PASSPHRASE in json.dumps(r.inputs, default=str)]
        assert not leaked, f"passphrase in plain text in {leaked}"
        assert PASSPHRASE not in json.dumps(args[0], default=str), "passphrase in the preparations output"
        mobility = json.loads(mocks.named("aws:ssm/document:Document", "-mobility-agent").inputs["content"])
        scripts = {s["name"]: "\n".join(s["inputs"]["runCommand"]) for s in mobility["mainSteps"]}
        assert "$passphraseParameter = '{{ PassphraseParameter }}'" in scripts["mobilityWindows"]
        assert "Get-SSMParameterValue -Name $passphraseParameter -WithDecryption $true" in scripts["mobilityWindows"]
        assert "passphrase_parameter='{{ PassphraseParameter }}'" in scripts["mobilityLinux"]
        assert 'aws ssm get-parameter --name "$passphrase_parameter" --with-decryption' in scripts["mobilityLinux"]
        assert "/PassphraseFilePath" in scripts["mobilityWindows"]
        assert '-P "$passphrase_file"' in scripts["mobilityLinux"]

    return settled(prep).apply(check)


@pulumi.runtime.test
def test_mobility_steps_are_split_by_platform(mocks: AwsMocks) -> pulumi.Output[Any]:
    prep = prepare(mobility_installer_s3_uri=INSTALLERS)

    def check(_: Any) -> None:
        document = json.loads(mocks.named("aws:ssm/document:Document", "-mobility-agent").inputs["content"])
        preconditions = {s["name"]: s["precondition"]["StringEquals"][1] for s in document["mainSteps"]}
        assert preconditions == {"mobilityWindows": "Windows", "mobilityLinux": "Linux"}
        windows = "\n".join(document["mainSteps"][0]["inputs"]["runCommand"])
        linux = "\n".join(document["mainSteps"][1]["inputs"]["runCommand"])
        assert "'/CSEndPoint', $applianceIp" in windows and "'/CSType', $csType" in windows
        assert './install -q -r MS -v VmWare -d /usr/local/ASR -c "$cs_type"' in linux
        assert set(document["parameters"]) == {
            "ApplianceIp", "CsType", "InstallerS3Uri", "InstallerEndpointUrl", "PassphraseParameter",
        }  # fmt: skip

    return settled(prep).apply(check)
