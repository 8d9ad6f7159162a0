"""VaultCredentials: the classic vault credentials file, generated against the fake ARM server (the resource as the
engine runs it: tests/engine/test_wave_under_the_engine.py)."""

from __future__ import annotations

import base64
import re
from typing import Any
from xml.etree import ElementTree

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from components.asr.vault_credentials import NAMESPACE, VaultCredentialsError, VaultCredentialsProvider
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.fixtures import arm_env_fixture, fake_arm_fixture  # noqa: F401
from tests.fake_arm.server import SUBSCRIPTION, TENANT, VAULT_RESOURCE_ID, FakeArm

PROPS = {"resource_group_name": "rg-wave1", "vault_name": "vault1", "location": "westeurope", "version": "1"}
N = f"{{{NAMESPACE}}}"


def _extended_info(fake: FakeArm) -> str:
    return fake.vault_path() + "/extendedInformation/vaultExtendedInfo"


def _children(element: ElementTree.Element) -> list[tuple[str, str | None]]:
    return [(child.tag.removeprefix(N), child.text) for child in element]


def test_a_vault_without_credentials_gets_a_key_a_certificate_and_the_file(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    outs = VaultCredentialsProvider().create(PROPS).outs
    assert outs is not None
    calls = [(r.method, r.path.removeprefix(fake_arm.vault_path())) for r in fake_arm.requests]
    name = outs["certificate_name"]
    assert re.fullmatch(rf"vault1{SUBSCRIPTION}-\d{{1,2}}-\d{{1,2}}-\d{{4}}-vaultcredentials", name)
    assert calls == [  # Az PowerShell's order: the integrity key (made, as the vault has none), then the certificate
        ("GET", "/extendedInformation/vaultExtendedInfo"),
        ("PUT", "/extendedInformation/vaultExtendedInfo"),
        ("PUT", f"/certificates/{name}"),
    ]
    made, upload = fake_arm.requests[1].body["properties"], fake_arm.requests[2].body["properties"]
    assert made["algorithm"] == "None" and len(base64.b64decode(made["integrityKey"])) == 16
    assert upload["authType"] == "AAD"
    uploaded = x509.load_der_x509_certificate(base64.b64decode(upload["certificate"]))

    root = ElementTree.fromstring(outs["content"])
    assert root.tag == f"{N}RSVaultAsrCreds"
    assert [tag for tag, _ in _children(root)] == [  # DataContractSerializer's member order
        "VaultDetails", "ManagementCert", "Version", "AadDetails", "ChannelIntegrityKey", "SiteId", "SiteName",
    ]  # fmt: skip
    texts = dict(_children(root))
    assert _children(root.find(f"{N}VaultDetails")) == [  # type: ignore[arg-type]
        ("SubscriptionId", SUBSCRIPTION), ("ResourceGroup", "rg-wave1"), ("ResourceName", "vault1"),
        ("ResourceId", str(VAULT_RESOURCE_ID)), ("Location", "westeurope"), ("ResourceType", "Vaults"),
        ("ProviderNamespace", "Microsoft.RecoveryServices"),
    ]  # fmt: skip
    aad = dict(_children(root.find(f"{N}AadDetails")))  # type: ignore[arg-type]
    assert aad["AadTenantId"] == TENANT and aad["AadAuthority"] == "https://login.windows.net"
    assert aad["AadVaultAudience"] == f"https://RecoveryServiceVault/westeurope/vault1/{VAULT_RESOURCE_ID}"
    assert (texts["Version"], texts["ChannelIntegrityKey"], texts["SiteId"]) == ("2.0", made["integrityKey"], None)

    # The file's certificate is the uploaded one, with its private key, for client authentication, for 120 hours.
    key, certificate, _ = pkcs12.load_key_and_certificates(base64.b64decode(texts["ManagementCert"] or ""), None)
    assert certificate is not None and key is not None
    assert certificate.public_bytes(Encoding.DER) == uploaded.public_bytes(Encoding.DER)
    assert key.public_key().public_numbers() == certificate.public_key().public_numbers()  # type: ignore[union-attr]
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert lifetime.total_seconds() == 120 * 3600 + 15 * 60  # 120 hours, from 15 minutes back (clock skew)
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert outs["valid_to"] == certificate.not_valid_after_utc.isoformat()


def test_a_key_made_before_by_a_program_is_reused(fake_arm: FakeArm, arm_env: StaticTokenCredential) -> None:
    fake_arm.put_resource(_extended_info(fake_arm), {"integrityKey": "a2V5LW9mLWJlZm9yZQ==", "algorithm": "None"})
    outs = VaultCredentialsProvider().create(PROPS).outs
    assert outs is not None and "<ChannelIntegrityKey>a2V5LW9mLWJlZm9yZQ==</ChannelIntegrityKey>" in outs["content"]
    assert [r.method for r in fake_arm.requests] == ["GET", "PUT"]  # the key is not written again
    assert "/certificates/" in fake_arm.requests[1].path


def test_a_key_the_portal_encrypted_fails_with_the_manual_step_and_uploads_nothing(
    fake_arm: FakeArm, arm_env: StaticTokenCredential
) -> None:
    fake_arm.put_resource(_extended_info(fake_arm), {"integrityKey": "ZW5jcnlwdGVk", "algorithm": "RSA1_5"})
    with pytest.raises(VaultCredentialsError) as raised:
        VaultCredentialsProvider().create(PROPS)
    assert "algorithm 'RSA1_5'" in str(raised.value)
    assert "pulumi config set --secret migration:vaultRegistrationKey" in str(raised.value)
    assert [r.method for r in fake_arm.requests] == ["GET"]


def test_an_upload_answered_without_entra_id_details_is_refused(
    fake_arm: FakeArm, arm_env: StaticTokenCredential, monkeypatch: pytest.MonkeyPatch
) -> None:
    def acs_answer(_match: Any, _key: str, _body: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, {"properties": {"authType": "AccessControlService", "globalAcsNamespace": "ns"}}, {}

    monkeypatch.setattr(fake_arm, "_put_certificate", acs_answer)
    with pytest.raises(
        VaultCredentialsError, match=re.escape("without its Entra ID details (authType 'AccessControlService')")
    ):
        VaultCredentialsProvider().create(PROPS)


def test_check_accepts_unknowns_and_names_what_is_missing() -> None:
    from pulumi.output import Unknown

    provider = VaultCredentialsProvider()
    assert provider.check({}, {**PROPS, "vault_name": Unknown()}).failures == []
    failures = provider.check({}, {**PROPS, "location": ""}).failures
    assert [(f.property, f.reason) for f in failures] == [("location", "location: '' must be a non-empty string")]
