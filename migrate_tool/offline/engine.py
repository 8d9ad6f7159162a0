"""Run the real Pulumi program under Pulumi's own mock engine, and record what it would create.

This is the one place in production code that answers for the cloud, and it says so: the values it
computes (ARM ids, EC2 ids, ARNs, IPs) are shaped like the real ones so the program's wiring can be
checked end to end, but nothing is created or read live. Every id is derived from a hash of the
resource's type and name, so a plan is reproducible byte for byte.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dill
import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.settings import SETTINGS, set_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.asr.provider import OFFLINE_STAND_IN, OFFLINE_SUBSCRIPTION, offline_hex

OFFLINE_AWS_ACCOUNT = "123456789012"
STACK_REFERENCE = "pulumi:pulumi:StackReference"


_hex = offline_hex


# ARM resource id templates by azure-native type token; `{placeholders}` are the resource's inputs.
_ARM_IDS = {
    "azure-native:resources:ResourceGroup": "/resourceGroups/{resourceGroupName}",
    "azure-native:storage:StorageAccount": "/resourceGroups/{resourceGroupName}/providers/Microsoft.Storage/storageAccounts/{accountName}",
    "azure-native:network:VirtualNetwork": "/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}",
    "azure-native:recoveryservices:Vault": "/resourceGroups/{resourceGroupName}/providers/Microsoft.RecoveryServices/vaults/{vaultName}",
    "azure-native:recoveryservices:ReplicationPolicy": "/resourceGroups/{resourceGroupName}/providers/Microsoft.RecoveryServices/vaults/{resourceName}/replicationPolicies/{policyName}",
    "azure-native:recoveryservices:ReplicationProtectionContainerMapping": "/resourceGroups/{resourceGroupName}/providers/Microsoft.RecoveryServices/vaults/{resourceName}/replicationFabrics/{fabricName}/replicationProtectionContainers/{protectionContainerName}/replicationProtectionContainerMappings/{mappingName}",
    "azure-native:recoveryservices:ReplicationProtectedItem": "/resourceGroups/{resourceGroupName}/providers/Microsoft.RecoveryServices/vaults/{resourceName}/replicationFabrics/{fabricName}/replicationProtectionContainers/{protectionContainerName}/replicationProtectedItems/{replicatedProtectedItemName}",
    "azure-native:recoveryservices:ReplicationRecoveryPlan": "/resourceGroups/{resourceGroupName}/providers/Microsoft.RecoveryServices/vaults/{resourceName}/replicationRecoveryPlans/{recoveryPlanName}",
}


def _arm_state(typ: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    template = _ARM_IDS.get(typ)
    path = (
        template.format_map(_Default(inputs))
        if template
        else f"/providers/{typ}/{_hex(typ, json.dumps(inputs, sort_keys=True, default=str))}"
    )
    arm_id = f"/subscriptions/{OFFLINE_SUBSCRIPTION}{path}"
    state: dict[str, Any] = {"id": arm_id, "name": arm_id.rsplit("/", 1)[-1], "azureApiVersion": "offline"}
    if typ == "azure-native:network:VirtualNetwork":
        state["subnets"] = [
            {**subnet, "id": f"{arm_id}/subnets/{subnet['name']}"} for subnet in inputs.get("subnets", [])
        ]
    if typ == "azure-native:recoveryservices:ReplicationProtectedItem":
        state["properties"] = {
            **inputs.get("properties", {}),
            "protectionState": OFFLINE_STAND_IN,
            "replicationHealth": OFFLINE_STAND_IN,
        }
    if typ == "azure-native:storage:StorageAccount":
        state["primaryEndpoints"] = {"blob": f"https://{inputs.get('accountName')}.blob.core.windows.net/"}
    return arm_id, state


def _dynamic_stand_ins(typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """What the dynamic resource's own provider says an offline plan shows (`preview_outputs`)."""
    serialized = inputs.get("__provider")
    if isinstance(serialized, dict):  # the SDK sends it as a secret
        serialized = serialized.get("value")
    provider = dill.loads(base64.b64decode(serialized)) if isinstance(serialized, str) else None
    preview_outputs = getattr(provider, "preview_outputs", None)
    return preview_outputs(typ, name, inputs) if preview_outputs is not None else {}


class _Default(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return f"<{key}>"


@dataclass
class PlannedResource:
    urn: str
    type: str
    name: str
    parent_urn: str
    custom: bool
    provider: str
    inputs: dict[str, Any]
    protect: bool = False
    state: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    dependencies: list[str] = field(default_factory=list)
    """URNs this resource waits for: `depends_on` plus every resource whose output is one of its inputs."""


class PlanMocks(pulumi_mocks.Mocks):
    """Computed outputs shaped like Azure's and AWS's answers, derived deterministically from names."""

    def __init__(
        self, stack_outputs: dict[str, ProgramRun] | None = None, subnets: dict[tuple[str, str, str], str] | None = None
    ) -> None:
        self.regions: dict[str, str] = {}  # provider URN -> region, filled by the monitor
        self.stack_outputs = stack_outputs or {}
        """Fully qualified stack name -> the offline run whose outputs its StackReferences read (a foundation's)."""
        self.subnets = {tuple(k.lower() for k in key): prefix for key, prefix in (subnets or {}).items()}
        """(resource group, network, subnet) -> range of the existing subnets the program reads; the offline plan
        gives the ranges the config states (it reads nothing in Azure), tests give what Azure would answer."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        typ, name, inputs = args.typ, args.name, dict(args.inputs)
        if typ == STACK_REFERENCE and inputs.get("name") in self.stack_outputs:
            stack, run = inputs["name"], self.stack_outputs[inputs["name"]]
            return stack, {"name": stack, "outputs": run.outputs, "secretOutputNames": sorted(run.secret_outputs)}
        if typ.startswith("azure-native:"):
            arm_id, state = _arm_state(typ, inputs)
            return arm_id, {**inputs, **state}
        if typ.startswith("aws:"):
            region = self.regions.get((args.provider or "").rsplit("::", 1)[0], "us-east-1")
            resource_id, state = self._aws_state(typ, name, inputs, region)
            return resource_id, {**inputs, **state}
        if typ.startswith("pulumi:providers:"):
            return f"provider-{_hex(typ, name, length=8)}", inputs
        # Dynamic resources: their provider code runs only in a real `pulumi up`.
        return f"{name}-{_hex(typ, name, length=8)}", {**inputs, **_dynamic_stand_ins(typ, name, inputs)}

    def _aws_state(self, typ: str, name: str, inputs: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
        token = typ.split(":")[-1]
        # Pulumi's auto-naming: a 7-character suffix on the logical name; AWS's name_prefix: 26 characters.
        auto_name = inputs.get("name") or (
            inputs["namePrefix"] + _hex(typ, name, length=26)
            if inputs.get("namePrefix")
            else f"{name}-{_hex(typ, name, length=7)}"
        )
        arn_base = f"arn:aws:{{service}}:{region}:{OFFLINE_AWS_ACCOUNT}"
        if token == "Instance":
            instance_id = f"i-{_hex(typ, name)}"
            octets = bytes.fromhex(_hex(typ, name, length=4))
            return instance_id, {
                "id": instance_id,
                "arn": f"{arn_base.format(service='ec2')}:instance/{instance_id}",
                "privateIp": f"172.31.{octets[0]}.{max(octets[1], 4)}",
                "primaryNetworkInterfaceId": f"eni-{_hex('eni', name)}",
            }
        if token == "SecurityGroup":
            group_id = f"sg-{_hex(typ, name)}"
            return group_id, {
                "id": group_id,
                "name": auto_name,
                "arn": f"{arn_base.format(service='ec2')}:security-group/{group_id}",
            }
        if token == "VpcEndpoint":
            endpoint_id = f"vpce-{_hex(typ, name)}"
            service = str(inputs.get("serviceName", "")).rsplit(".", 1)[-1]
            dns = f"{endpoint_id}-{_hex(typ, name, 'dns', length=8)}.{service}.{region}.vpce.amazonaws.com"
            return endpoint_id, {"id": endpoint_id, "dnsEntries": [{"dnsName": dns, "hostedZoneId": "Z7HUB22UULQXV"}]}
        if token == "NetworkInterfaceSecurityGroupAttachment":
            attachment_id = f"{inputs.get('securityGroupId')}_{inputs.get('networkInterfaceId')}"
            return attachment_id, {"id": attachment_id}
        if token in ("SecurityGroupIngressRule", "SecurityGroupEgressRule"):
            rule_id = f"sgr-{_hex(typ, name)}"
            return rule_id, {"id": rule_id, "securityGroupRuleId": rule_id}
        if token == "Secret":
            arn = f"{arn_base.format(service='secretsmanager')}:secret:{auto_name}-{_hex(typ, name, length=6)}"
            return arn, {"id": arn, "arn": arn, "name": auto_name}
        if token in ("Role", "InstanceProfile", "Policy"):
            kind = {"Role": "role", "InstanceProfile": "instance-profile", "Policy": "policy"}[token]
            return auto_name, {
                "id": auto_name,
                "name": auto_name,
                "arn": f"arn:aws:iam::{OFFLINE_AWS_ACCOUNT}:{kind}/{auto_name}",
            }
        if token == "Bucket":
            bucket = inputs.get("bucket") or inputs["bucketPrefix"] + _hex(typ, name, length=26)
            return bucket, {"id": bucket, "bucket": bucket, "arn": f"arn:aws:s3:::{bucket}"}
        if token == "Document":
            return auto_name, {
                "id": auto_name,
                "name": auto_name,
                "arn": f"{arn_base.format(service='ssm')}:document/{auto_name}",
            }
        if token == "Association":
            association_id = "-".join(_hex(typ, name, str(n), length=k) for n, k in enumerate((8, 4, 4, 4, 12)))
            return association_id, {"id": association_id, "associationId": association_id}
        resource_id = f"{token.lower()}-{_hex(typ, name)}"
        return resource_id, {"id": resource_id}

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "aws:ec2/getAmi:getAmi":
            filters = {f["name"]: f["values"] for f in args.args.get("filters", [])}
            image_name = filters.get("name", ["image"])[0].replace("*", "2026.11.12")
            return {
                "id": f"ami-{_hex('ami', image_name)}",
                "name": image_name,
                "architecture": "x86_64",
                "platform": "windows",
            }, []
        if args.token == "aws:ec2/getInstance:getInstance":
            instance_id = str(args.args.get("instanceId"))
            return {
                "id": instance_id,
                "instanceId": instance_id,
                "networkInterfaceId": f"eni-{_hex('eni', instance_id)}",
            }, []
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": OFFLINE_AWS_ACCOUNT, "arn": f"arn:aws:iam::{OFFLINE_AWS_ACCOUNT}:user/offline-plan",
                    "userId": "AIDAOFFLINEPLAN", "id": OFFLINE_AWS_ACCOUNT}, []  # fmt: skip
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, []
        if args.token == "azure-native:network:getSubnet":
            key = tuple(
                str(args.args.get(k)).lower() for k in ("resourceGroupName", "virtualNetworkName", "subnetName")
            )
            if key not in self.subnets:
                raise LookupError(f"(NotFound) Resource {'/'.join(key)} not found")  # Azure's answer to a GET
            return {"id": "/".join(key), "name": key[2], "addressPrefix": self.subnets[key]}, []
        if args.token == "azure-native:authorization:getClientConfig":
            return {
                "subscriptionId": OFFLINE_SUBSCRIPTION,
                "tenantId": OFFLINE_SUBSCRIPTION,
                "clientId": OFFLINE_SUBSCRIPTION,
                "objectId": OFFLINE_SUBSCRIPTION,
            }, []
        raise NotImplementedError(f"the offline plan does not answer {args.token}")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """Pulumi's mock monitor, also keeping each resource's parent, provider and inputs for the plan."""

    mocks: PlanMocks

    def __init__(self, mocks: PlanMocks):
        super().__init__(mocks)
        self.planned: list[PlannedResource] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        registration = self.resources[response.urn]
        inputs = pulumi.runtime.rpc.deserialize_properties(request.object)
        self.planned.append(
            PlannedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent_urn=request.parent,
                custom=request.custom,
                provider=request.provider.rsplit("::", 1)[0] if request.provider else "",
                inputs=inputs,
                protect=request.protect,
                state=dict(registration.state),
                id=registration.id or "",
                dependencies=dependencies_of(request),
            )
        )
        if request.type.startswith("pulumi:providers:") and "region" in inputs:
            self.mocks.regions[response.urn] = inputs["region"]
        return response


def dependencies_of(request: Any) -> list[str]:
    """Every URN a RegisterResourceRequest depends on, explicitly or through a property, sorted."""
    urns = set(request.dependencies)
    for property_dependencies in request.propertyDependencies.values():
        urns.update(property_dependencies.urns)
    return sorted(urns)


@dataclass
class ProgramRun:
    resources: list[PlannedResource]
    outputs: dict[str, Any]
    secret_outputs: set[str]


def run_program(
    program: Callable[[], object],
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
    *,
    monitor: RecordingMonitor | None = None,
    preview: bool = False,
) -> ProgramRun:
    """Run `program` as `pulumi up` (or, with `preview`, `pulumi preview`) would, against the mock engine (or
    another `monitor` that plays the engine); return what it declared and exported."""
    monitor = monitor or RecordingMonitor(PlanMocks())
    pulumi.runtime.set_all_config(config, secret_keys)
    set_root_resource(None)  # type: ignore[arg-type]  # a fresh stack for every run
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=preview, monitor=monitor)
    SETTINGS.rpc_manager.clear()
    SETTINGS.outputs.clear()

    def run() -> None:
        program()

    _sync_await(run_pulumi_func(run))
    stack_resource = pulumi.runtime.get_root_resource()
    exported: dict[str, Any] = dict(getattr(stack_resource, "outputs", {}))
    values: dict[str, Any] = {}
    secrets: set[str] = set()
    for key, value in exported.items():
        output = pulumi.Output.from_input(value)
        values[key] = _sync_await(output.future())
        if _sync_await(output.is_secret()):
            secrets.add(key)
    # Registrations arrive from several threads in no fixed order; sort so a plan is reproducible.
    return ProgramRun(sorted(monitor.planned, key=lambda r: r.urn), values, secrets)
