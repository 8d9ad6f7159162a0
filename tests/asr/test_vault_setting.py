"""VaultSetting: its provider against the fake ARM server, its pickled form, and the resource it declares."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from components.asr import arm
from components.asr.vault_setting import VaultSetting, VaultSettingArgs, VaultSettingError, VaultSettingProvider
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.fixtures import arm_env_fixture, fake_arm_fixture  # noqa: F401
from tests.fake_arm.server import SUBSCRIPTION, FakeArm
from tests.provider_roundtrip import round_trip

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SETTING_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-wave1/providers/Microsoft.RecoveryServices/vaults/vault1"
    "/replicationVaultSettings/default"
)
SETTING_PATH = SETTING_ID  # the SDK requests the same path


def _props(architecture: str, **extra: str) -> dict[str, str]:
    return {
        "resource_group_name": "rg-wave1",
        "vault_name": "vault1",
        "architecture": architecture,
        "version": "1",
        **extra,
    }


def test_check_accepts_both_architectures() -> None:
    provider = VaultSettingProvider()
    for architecture in ("classic", "modernized"):
        assert provider.check({}, _props(architecture)).failures == []


def test_check_names_field_value_and_rule() -> None:
    result = VaultSettingProvider().check({}, {**_props("Classic"), "vault_name": ""})
    assert sorted((failure.property, failure.reason) for failure in result.failures) == [
        ("architecture", "architecture: 'Classic' must be one of modernized, classic"),
        ("vault_name", "vault_name: '' must be a non-empty string"),
    ]


def test_classic_puts_the_vmware_provider_type(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    result = VaultSettingProvider().create(_props("classic"))
    assert [(r.method, r.path, r.body) for r in fake_arm.requests] == [
        ("GET", SETTING_PATH, None),
        ("PUT", SETTING_PATH, {"properties": {"vmwareToAzureProviderType": "Vmware"}}),
    ]
    assert result.id == SETTING_ID
    assert result.outs is not None and result.outs["vmware_to_azure_provider_type"] == "Vmware"
    stored = fake_arm.resource(SETTING_PATH)
    assert stored is not None and stored["properties"] == {"vmwareToAzureProviderType": "Vmware"}


def test_classic_on_a_classic_vault_writes_nothing(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    fake_arm.add_vault_setting("Vmware")
    result = VaultSettingProvider().create(_props("classic"))
    assert fake_arm.calls() == [("GET", SETTING_PATH)]
    assert result.outs is not None and result.outs["vmware_to_azure_provider_type"] == "Vmware"


def test_modernized_reads_and_writes_nothing(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    result = VaultSettingProvider().create(_props("modernized"))
    assert fake_arm.calls() == [("GET", SETTING_PATH)]
    assert result.outs is not None and result.outs["vmware_to_azure_provider_type"] == ""


def test_modernized_on_a_classic_vault_fails_clearly(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    fake_arm.add_vault_setting("Vmware")
    with pytest.raises(VaultSettingError) as raised:
        VaultSettingProvider().create(_props("modernized"))
    assert str(raised.value) == (
        "vault vault1 (resource group rg-wave1) is set to the classic architecture (replicationVaultSettings/default"
        " vmwareToAzureProviderType = 'Vmware'), but the wave's architecture is 'modernized'. A vault's provider"
        " type cannot be switched back: use a new, dedicated vault for the modernized architecture, or set"
        " architecture: classic."
    )
    assert fake_arm.calls(skip_reads=True) == []


def test_subscription_input_wins_over_the_environment(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    other = "11111111-2222-3333-4444-555555555555"
    result = VaultSettingProvider().create(_props("modernized", subscription_id=other))
    assert fake_arm.requests[0].path.startswith(f"/subscriptions/{other}/")
    assert result.id.startswith(f"/subscriptions/{other}/")


def test_throttled_put_is_retried(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    fake_arm.fail_next("PUT", r"/replicationVaultSettings/default$", 429)
    VaultSettingProvider().create(_props("classic"))
    assert fake_arm.calls(skip_reads=True) == [("PUT", SETTING_PATH)] * 2


def test_read_refreshes_the_live_value(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    fake_arm.add_vault_setting("Vmware")
    result = VaultSettingProvider().read(SETTING_ID, {**_props("classic"), "vmware_to_azure_provider_type": ""})
    assert result.outs is not None and result.outs["vmware_to_azure_provider_type"] == "Vmware"


def test_update_reapplies_with_new_code_version(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    result = VaultSettingProvider().update(SETTING_ID, _props("classic"), _props("classic", version="2"))
    assert fake_arm.calls(skip_reads=True) == [("PUT", SETTING_PATH)]
    assert result.outs is not None and result.outs["version"] == "2"


def test_delete_leaves_the_setting(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    fake_arm.add_vault_setting("Vmware")
    VaultSettingProvider().delete(SETTING_ID, _props("classic"))
    assert fake_arm.requests == []


@pytest.mark.parametrize(
    ("news", "changes", "replaces"),
    [
        (_props("classic"), False, []),
        (_props("classic", version="2"), True, []),
        (_props("modernized"), True, ["architecture"]),
        ({**_props("classic"), "vault_name": "vault2"}, True, ["vault_name"]),
    ],
)
def test_diff(news: dict[str, str], changes: bool, replaces: list[str]) -> None:
    olds = {**_props("classic"), "resource_id": SETTING_ID, "vmware_to_azure_provider_type": "Vmware"}
    result = VaultSettingProvider().diff(SETTING_ID, olds, news)
    assert (result.changes, result.replaces) == (changes, replaces)


def test_serialized_provider_round_trips_in_a_fresh_interpreter_without_secrets(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s3cr3t-client-secret-value"
    monkeypatch.setenv("AZURE_CLIENT_SECRET", secret)
    provider = VaultSettingProvider()
    provider.create(_props("classic"))  # clients and tokens were in use in this process
    with arm.site_recovery_client() as client:
        client.replication_vault_setting.get("rg-wave1", "vault1", "default")
        lines = round_trip(provider, secret, {"resource_group_name": "rg", "vault_name": "v", "architecture": "x"})
    assert lines == [
        "components.asr.vault_setting VaultSettingProvider {}",
        "[\"architecture: 'x' must be one of modernized, classic\"]",
    ]


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, object]]:
        self.resources.append(args)
        outputs = {
            **args.inputs,
            "resource_id": SETTING_ID,
            "vmware_to_azure_provider_type": "Vmware",
        }
        return SETTING_ID, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, object], list[tuple[str, str]] | None]:
        return {}, None


def test_resource_declares_its_type_token_and_inputs() -> None:
    mocks = _Mocks()
    pulumi.runtime.set_mocks(mocks, preview=False)

    @pulumi.runtime.test
    def check() -> pulumi.Output[str]:
        setting = VaultSetting(
            "wave1-vault-setting",
            VaultSettingArgs(resource_group_name="rg-wave1", vault_name="vault1", architecture="classic"),
        )

        def verify(provider_type: str) -> str:
            [declared] = mocks.resources
            assert declared.typ == "pulumi-python:dynamic/asr:VaultSetting", declared.typ
            inputs = {key: value for key, value in declared.inputs.items() if key != "__provider"}
            assert inputs == {
                "resource_group_name": "rg-wave1",
                "vault_name": "vault1",
                "architecture": "classic",
                "version": "1",
            }, f"{declared.name}: {inputs}"
            return provider_type

        return setting.vmware_to_azure_provider_type.apply(verify)

    check()
