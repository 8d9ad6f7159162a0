"""No resource grows past a host's limit with the wave (issue 25), and the doubles refuse what the hosts refuse."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi.runtime import mocks as pulumi_mocks

from components import limits
from tests.host_limits import BUCKET_POLICY, INGRESS_RULE, RECOVERY_PLAN, HostLimitError, HostLimitMocks
from tests.program import of_type, run_wave
from tests.waves import wave


def _register(mocks: HostLimitMocks, typ: str, name: str, inputs: dict[str, Any]) -> None:
    mocks.new_resource(pulumi_mocks.MockResourceArgs(typ, name, inputs, "", "", True, []))


def test_the_doubles_refuse_the_61st_inbound_rule_of_a_group() -> None:
    mocks = HostLimitMocks()
    for n in range(limits.SECURITY_GROUP_INBOUND_RULES.value):
        _register(mocks, INGRESS_RULE, f"rule-{n}", {"securityGroupId": "sg-1"})
    _register(mocks, INGRESS_RULE, "rule-0", {"securityGroupId": "sg-1"})  # an update of a rule it has
    _register(mocks, INGRESS_RULE, "other", {"securityGroupId": "sg-2"})
    with pytest.raises(HostLimitError, match=r"RulesPerSecurityGroupLimitExceeded.*inbound rules per security group"):
        _register(mocks, INGRESS_RULE, "rule-60", {"securityGroupId": "sg-1"})


def test_the_doubles_refuse_a_bucket_policy_over_20_kb_and_a_plan_over_100_items() -> None:
    mocks = HostLimitMocks()
    _register(mocks, BUCKET_POLICY, "fits", {"policy": "x" * limits.BUCKET_POLICY_BYTES.value})
    with pytest.raises(HostLimitError, match=r"PolicyTooLarge: big: the policy has 20,481 bytes"):
        _register(mocks, BUCKET_POLICY, "big", {"policy": "x" * (limits.BUCKET_POLICY_BYTES.value + 1)})
    items = [{"id": f"item-{n}"} for n in range(limits.RECOVERY_PLAN_ITEMS.value + 1)]
    plan = {"recoveryPlanName": "wave1-plan", "properties": {"groups": [{"replicationProtectedItems": items}]}}
    with pytest.raises(HostLimitError, match=r"a recovery plan of 101 protected items"):
        _register(mocks, RECOVERY_PLAN, "plan", plan)


@pytest.mark.parametrize("machines", [30, 100, 200])
def test_a_wave_of_n_machines_declares_nothing_past_a_hosts_limit(machines: int) -> None:
    """The whole program under the doubles that refuse what the hosts refuse: the appliance group's rules and the
    bucket policy are the same at any size (the /32-per-machine group failed at 30, the ARN-listing policy at 93)."""
    run = run_wave(wave(machines=machines), strip_aliases=True)
    rules = sorted(r.name for r in of_type(run, INGRESS_RULE))
    assert rules == [  # the appliance's three, and the installer endpoint's one: none per machine
        "wave1-appliance-agents-endpoint-in-443", "wave1-appliance-in-443", "wave1-appliance-in-9443",
        "wave1-appliance-in-rdp",
    ]  # fmt: skip
    [policy] = of_type(run, BUCKET_POLICY)
    assert len(policy.inputs["policy"].encode()) < 2048, json.loads(policy.inputs["policy"])
    [host] = of_type(run, "aws:ec2/instance:Instance")  # sized for the wave (components/appliance_capacity.py)
    expected = {30: ("c5.2xlarge", 620), 100: ("c5.4xlarge", 620), 200: ("c5.4xlarge", 1024)}[machines]
    assert (host.inputs["instanceType"], host.inputs["ebsBlockDevices"][0]["volumeSize"]) == expected
