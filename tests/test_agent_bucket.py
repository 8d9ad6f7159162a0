"""The wave's Mobility installer bucket: the appliance host writes it, only the wave's source instances read it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import limits
from migrate_tool.offline.engine import ProgramRun
from tests.program import of_type, one, run_wave
from tests.waves import wave

BUCKET = "aws:s3/bucket:Bucket"


def _statements(run: ProgramRun) -> dict[str, dict[str, Any]]:
    policy = json.loads(one(run, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    return {s["Sid"]: s for s in policy["Statement"]}


def test_only_the_waves_sources_read_through_the_endpoint_and_only_the_appliance_role_writes() -> None:
    raw = wave()
    run = run_wave(raw, secrets={"migration:appliancePassphrase": "p4ss-phrase"})
    bucket = one(run, BUCKET)
    arn, role = bucket.state["arn"], one(run, "aws:iam/role:Role").state["arn"]
    endpoint = one(run, "aws:ec2/vpcEndpoint:VpcEndpoint")
    readers = {"aws:SourceVpce": endpoint.id}
    statements = _statements(run)
    assert statements["SourceInstancesRead"]["Condition"] == {"StringEquals": readers}
    assert statements["SourceInstancesRead"]["Resource"] == f"{arn}/agents/*"
    assert statements["NobodyElseReads"] == {
        "Sid": "NobodyElseReads", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"{arn}/*", "Condition": {"StringNotEquals": readers},
    }  # fmt: skip
    # The endpoint is reached only from the group each source machine carries, and leaves the VPC's DNS alone.
    assert (endpoint.inputs["vpcEndpointType"], endpoint.inputs["privateDnsEnabled"]) == ("Interface", False)
    assert endpoint.inputs["serviceName"] == "com.amazonaws.eu-west-1.s3"
    assert endpoint.inputs["subnetIds"] == [raw["aws"]["subnetId"]]
    [endpoint_group] = [
        g for g in of_type(run, "aws:ec2/securityGroup:SecurityGroup") if g.id in endpoint.inputs["securityGroupIds"]
    ]
    [rule] = [
        r
        for r in of_type(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == endpoint_group.id
    ]
    [sources] = [g for g in of_type(run, "aws:ec2/securityGroup:SecurityGroup") if g.name.endswith("-sources-sg")]
    assert (rule.inputs["referencedSecurityGroupId"], rule.inputs["fromPort"], rule.inputs["toPort"]) == (
        sources.id,
        443,
        443,
    )
    attached = {
        a.inputs["securityGroupId"]
        for a in of_type(run, "aws:ec2/networkInterfaceSecurityGroupAttachment:NetworkInterfaceSecurityGroupAttachment")
    }
    assert attached == {sources.id}
    # The SSM document reads the installers through the endpoint's own address.
    [mobility] = [
        a for a in of_type(run, "aws:ssm/association:Association") if "mobility" in a.inputs["associationName"]
    ]
    dns = endpoint.state["dnsEntries"][0]["dnsName"]
    assert mobility.inputs["parameters"]["InstallerEndpointUrl"] == f"https://bucket.{dns}"
    assert statements["ApplianceWrites"]["Principal"] == {"AWS": role}
    assert statements["NobodyElseWrites"]["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": role}}
    assert statements["TlsOnly"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    block = one(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    assert bucket.inputs["bucketPrefix"] == "asr-wave1-agents-" and len(bucket.inputs["bucketPrefix"]) <= 37


def test_the_appliance_publishes_there_and_ssm_installs_from_there() -> None:
    run = run_wave(wave(), secrets={"migration:appliancePassphrase": "p4ss-phrase"})
    name = one(run, BUCKET).state["bucket"]
    [publish] = [r for r in of_type(run, "aws:iam/rolePolicy:RolePolicy") if r.name.endswith("-publish-agents")]
    assert json.loads(publish.inputs["policy"])["Statement"] == [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{name}/agents/*"}
    ]
    user_data = one(run, "aws:ec2/instance:Instance").inputs["userData"]
    assert f"$AgentBucket = '{name}'" in user_data and "$AgentFolder = 'E:\\Software\\Agents'" in user_data
    assert "  if ($AgentBucket) { Publish-Agents }" in user_data
    [mobility] = [
        a for a in of_type(run, "aws:ssm/association:Association") if "mobility" in a.inputs["associationName"]
    ]
    assert mobility.inputs["parameters"]["InstallerS3Uri"] == f"s3://{name}/agents/"
    assert mobility.inputs["scheduleExpression"] == "rate(30 minutes)"  # again until the installers are there


@pytest.mark.slow  # a whole program for one absence
def test_an_operators_own_installer_location_means_no_wave_bucket() -> None:
    raw = wave()
    raw["aws"]["mobilityInstallerS3Uri"] = "s3://org-artifacts/asr-agents/"
    run = run_wave(raw)
    assert of_type(run, BUCKET) == []
    assert "$AgentBucket = ''" in one(run, "aws:ec2/instance:Instance").inputs["userData"]


@pytest.mark.parametrize("machines", [6, 200])
def test_the_policy_is_the_same_size_at_any_wave_size(machines: int) -> None:
    """Issue 25: listing every source instance's ARN three times passed S3's 20 KB at about 93 machines."""
    policy = one(run_wave(wave(machines=machines)), "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"]
    assert len(policy.encode()) == len(one(run_wave(wave()), "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    assert len(policy.encode()) < limits.BUCKET_POLICY_BYTES.value
