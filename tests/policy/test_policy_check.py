"""The offline plan's policy run: same validators, pack config handling, verdicts, and a real plan."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from migrate_tool.offline.plan import build_plan
from migrate_tool.policy_check import (
    Verdict,
    evaluate,
    format_verdicts,
    has_mandatory_violation,
    resources_from_plan,
)
from tests.policy.engine import urn, wave
from tests.waves import EXAMPLE_WAVE

SA = "azure-native:storage:StorageAccount"
STORAGE_URN = urn(SA, "cache")


ROOT = Path(__file__).resolve().parents[2]


def _storage(**changes: Any) -> dict[str, Any]:
    props = {
        "accountName": "stasrcachewave1weu",
        "location": "westeurope",
        "sku": {"name": "Standard_RAGRS"},
        "enableHttpsTrafficOnly": True,
        "minimumTlsVersion": "TLS1_2",
        "allowBlobPublicAccess": False,
        **changes,
    }
    return {"type": SA, "name": "cache", "urn": STORAGE_URN, "props": props, "parent_urn": None, "provider": None}


def test_evaluate_reports_mandatory_and_advisory_verdicts_against_the_resource() -> None:
    verdicts = evaluate([_storage(enableHttpsTrafficOnly=False, sku={"name": "Standard_LRS"})], {})
    assert verdicts == [
        Verdict("storage-https-only", "mandatory", "enableHttpsTrafficOnly is false; set it to true.", STORAGE_URN),
        Verdict(
            "storage-geo-redundant",
            "advisory",
            'sku.name is "Standard_LRS"; the seed tutorial keeps replicated data in Standard_GRS, Standard_RAGRS,'
            " Standard_GZRS, Standard_RAGZRS storage (migration:wave.azure.storageSku, default Standard_RAGRS).",
            STORAGE_URN,
        ),
    ]
    assert has_mandatory_violation(verdicts)
    assert not has_mandatory_violation(verdicts[1:])


def test_pack_config_sets_levels_and_settings_like_the_cli() -> None:
    resources = [_storage(enableHttpsTrafficOnly=False, sku={"name": "Standard_LRS"})]
    relaxed = evaluate(
        resources, {}, {"storage-https-only": "advisory", "storage-geo-redundant": {"enforcementLevel": "disabled"}}
    )
    assert [(v.policy_name, v.enforcement_level) for v in relaxed] == [("storage-https-only", "advisory")]
    everything_advisory = evaluate(resources, {}, {"all": "advisory"})
    assert not has_mandatory_violation(everything_advisory) and len(everything_advisory) == 2
    regions = evaluate([_storage()], {}, {"allowed-regions": {"allowedAzureRegions": ["northeurope"]}})
    assert [v.policy_name for v in regions] == ["allowed-regions"]


@pytest.mark.parametrize(
    ("config", "error"),
    [
        ({"storage-https-onyl": "mandatory"}, "policy config: 'storage-https-onyl' is not a policy of the pack"),
        (
            {"storage-https-only": "strict"},
            "policy config: storage-https-only enforcement level 'strict' must be one of",
        ),
        (
            {"allowed-regions": {"allowedRegions": ["westeurope"]}},
            "policy config: allowed-regions.allowedRegions = ['westeurope'] is not a setting",
        ),
        (
            {"allowed-regions": {"allowedAzureRegions": "westeurope"}},
            "policy config: allowed-regions.allowedAzureRegions = 'westeurope' must be of type array",
        ),
        (
            {"no-open-management-ingress": {"managementPorts": [22, "3389"]}},
            "managementPorts[1] = '3389' must be of type integer",
        ),
        (
            {"storage-minimum-tls": {"minimumTlsVersion": "TLS1_1"}},
            "minimumTlsVersion = 'TLS1_1' must be one of ['TLS1_2', 'TLS1_3']",
        ),
    ],
)
def test_bad_pack_config_is_refused_with_the_field_value_and_rule(config: dict, error: str) -> None:
    with pytest.raises(ValueError, match=None) as raised:
        evaluate([_storage()], {}, config)
    assert error in str(raised.value)


def test_format_verdicts_lists_mandatory_first_with_resource_and_advice() -> None:
    verdicts = evaluate([_storage(enableHttpsTrafficOnly=False, sku={"name": "Standard_LRS"})], {})
    text = format_verdicts(verdicts)
    assert text.splitlines()[:3] == [
        "Policy pack: 1 mandatory, 1 advisory violation(s)",
        f"  [mandatory] storage-https-only  {STORAGE_URN}",
        "      enableHttpsTrafficOnly is false; set it to true.",
    ]
    assert format_verdicts([]) == "Policy pack: no violations."


def test_stack_policies_see_the_stack_config() -> None:
    stack_config = {
        "migration:wave": wave(lifecycle={"phase": "cutover"}, machines=[{"name": "orders-web01", "os": "windows"}])
    }
    verdicts = evaluate([_storage()], stack_config)
    assert [(v.policy_name, v.urn) for v in verdicts] == [("test-failover-before-cutover", None)]


# --- Through the real offline plan (the program under the mock engine) -----------------------------


def _plan_verdicts(tmp_path: Path, raw_wave: dict[str, Any], policy_config: dict | None = None) -> list[Verdict]:
    stack = {"config": {"migration:wave": raw_wave}}
    (tmp_path / "Pulumi.policytest.yaml").write_text(yaml.safe_dump(stack))
    plan = build_plan("policytest", tmp_path)
    return evaluate(resources_from_plan(plan.run.resources), stack["config"], policy_config)


def test_the_example_wave_plans_without_violations(tmp_path: Path) -> None:
    raw = copy.deepcopy(EXAMPLE_WAVE)
    raw["azure"].update(resourceGroup="rg-w1", storageAccount="stw1cache", vault="rsv-w1")
    raw["azure"]["network"].update(name="vnet-w1", subnets=[{"name": "snet-default", "prefix": "10.0.0.0/24"}])
    assert _plan_verdicts(tmp_path, raw) == []


@pytest.mark.slow  # a whole `migrate.py plan` process or two: CI's second stage
def test_a_violating_wave_fails_the_offline_plan_command_with_the_policys_message(tmp_path: Path) -> None:
    # Config validation already refuses names Azure would refuse; a stricter organisation convention,
    # made mandatory in the pack config, is what this valid wave breaks.
    (tmp_path / "Pulumi.badnames.yaml").write_text(
        yaml.safe_dump({"config": {"migration:wave": copy.deepcopy(EXAMPLE_WAVE)}})
    )
    (tmp_path / "pack.json").write_text(json.dumps({"org-naming-convention": "mandatory"}))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "migrate_tool",
            "plan",
            "badnames",
            "--stacks-dir",
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
            "--policy-config",
            str(tmp_path / "pack.json"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "mandatory policy violations (above): this wave must not be deployed as it is." in result.stderr
    assert "[mandatory] org-naming-convention" in result.stdout
    assert "vaultName 'myVault' does not match the organisation's vault pattern '^rsv-'" in result.stdout
    document = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert {v["policy"] for v in document["policy"]} == {"org-naming-convention"}
    assert "## Policy verdicts" in (tmp_path / "out" / "runbook.md").read_text()


def test_a_wave_outside_the_allowed_regions_fails_the_offline_plan(tmp_path: Path) -> None:
    verdicts = _plan_verdicts(
        tmp_path, copy.deepcopy(EXAMPLE_WAVE), {"allowed-regions": {"allowedAzureRegions": ["swedencentral"]}}
    )
    assert has_mandatory_violation(verdicts)
    regions = [v for v in verdicts if v.policy_name == "allowed-regions"]
    # The resource group, storage account, both networks and the vault: every located Azure resource.
    located_types = sorted(str(v.urn).rsplit("$", 1)[-1].split("::")[0] for v in regions)
    assert located_types == [
        "azure-native:network:VirtualNetwork",
        "azure-native:network:VirtualNetwork",
        "azure-native:recoveryservices:Vault",
        "azure-native:resources:ResourceGroup",
        "azure-native:storage:StorageAccount",
    ]
    assert {v.message for v in regions} == {
        "location 'westeurope' is not an allowed Azure region (swedencentral); change migration:wave.azure.location."
    }
