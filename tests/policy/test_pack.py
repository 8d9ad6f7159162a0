"""The pack itself: metadata rules, and the analyzer protocol the Pulumi CLI speaks to policy/__main__.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel

from migrate_tool.policy_check import load_policies_module
from tests.policy.engine import urn, wave

PACK_DIR = Path(__file__).resolve().parents[2] / "policy"


def test_every_policy_is_kebab_case_described_and_has_an_explicit_level() -> None:
    policies = load_policies_module().build_policies(lambda key: None)
    names = [p.name for p in policies]
    assert len(names) == len(set(names)), names
    for policy in policies:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", policy.name), policy.name
        assert policy.enforcement_level in (EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY), policy.name
        assert len(policy.description) > 40 and policy.description.endswith("."), policy.name
        for key, spec in (policy.config_schema.properties if policy.config_schema else {}).items():
            assert {"type", "description", "default"} <= set(spec), f"{policy.name}.{key}"


def _struct(value: dict) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """policy/__main__.py started as the CLI starts it: stack config in PULUMI_CONFIG, port on stdout."""
    stack_config = {
        "migration:wave": json.dumps(wave(lifecycle={"phase": "cutover"})),
        "aws:region": "eu-west-1",
    }
    env = {**os.environ, "PULUMI_CONFIG": json.dumps(stack_config)}
    env.pop("PYTHONPATH", None)  # the pack must run on its own, not on the project's import path
    process = subprocess.Popen(
        [sys.executable, "__main__.py"], cwd=PACK_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().decode().strip()
        if not port.isdigit():
            process.kill()
            raise AssertionError(f"the pack did not start: {process.communicate(timeout=10)[1].decode()}")
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.wait(timeout=10)


def test_the_pack_describes_its_policies_to_the_cli(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "asr-migration-guardrails"
    expected = {p.name: p.enforcement_level.value for p in load_policies_module().build_policies(lambda key: None)}
    levels = {analyzer_pb2.MANDATORY: "mandatory", analyzer_pb2.ADVISORY: "advisory"}
    assert {p.name: levels[p.enforcementLevel] for p in info.policies} == expected
    tls = next(p for p in info.policies if p.name == "storage-minimum-tls")
    assert tls.configSchema.properties["minimumTlsVersion"]["default"] == "TLS1_2"


def test_the_pack_reports_resource_and_stack_violations(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    configure = analyzer_pb2.ConfigureAnalyzerRequest()
    configure.policyConfig["allowed-regions"].CopyFrom(
        analyzer_pb2.PolicyConfig(
            enforcementLevel=analyzer_pb2.MANDATORY, properties=_struct({"allowedAzureRegions": ["northeurope"]})
        )
    )
    analyzer.Configure(configure)
    storage = {
        "accountName": "stasrcachewave1weu",
        "location": "westeurope",
        "sku": {"name": "Standard_RAGRS"},
        "enableHttpsTrafficOnly": False,
        "minimumTlsVersion": "TLS1_2",
        "allowBlobPublicAccess": False,
    }
    storage_urn = urn("azure-native:storage:StorageAccount", "cache")
    response = analyzer.Analyze(
        analyzer_pb2.AnalyzeRequest(
            type="azure-native:storage:StorageAccount", properties=_struct(storage), urn=storage_urn, name="cache"
        )
    )
    # For resource policies the engine attaches the analyzed resource's URN itself.
    found = {(d.policyName, d.enforcementLevel) for d in response.diagnostics}
    assert found == {("storage-https-only", analyzer_pb2.MANDATORY), ("allowed-regions", analyzer_pb2.MANDATORY)}

    # The appliance host's region comes from its provider, the wave's from the stack config.
    host_urn = urn("aws:ec2/instance:Instance", "host")
    host = {
        "metadataOptions": {"httpTokens": "required"},
        "rootBlockDevice": {"encrypted": True},
        "ebsBlockDevices": [{"deviceName": "/dev/sdb", "encrypted": True}],
    }
    provider = analyzer_pb2.AnalyzerProviderResource(
        type="pulumi:providers:aws", properties=_struct({"region": "us-east-1"}), urn="urn:provider", name="aws"
    )
    response = analyzer.Analyze(
        analyzer_pb2.AnalyzeRequest(
            type="aws:ec2/instance:Instance", properties=_struct(host), urn=host_urn, name="host", provider=provider
        )
    )
    assert [d.policyName for d in response.diagnostics] == ["appliance-host-region"]
    assert "created in 'us-east-1' but the wave's machines are in 'eu-west-1'" in response.diagnostics[0].message

    stack = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[]))
    test_failover = [d for d in stack.diagnostics if d.policyName == "test-failover-before-cutover"]
    assert [d.message.splitlines()[-1].split(" is in")[0] for d in test_failover] == [
        "machine 'orders-web01'",
        "machine 'orders-db01'",
    ]


def test_the_docs_table_lists_every_policy_with_its_level() -> None:
    docs = (PACK_DIR.parent / "docs" / "policy.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z0-9-]+)` \| (mandatory|advisory) \|", docs, flags=re.MULTILINE))
    policies = load_policies_module().build_policies(lambda key: None)
    assert rows == {p.name: p.enforcement_level.value for p in policies}
