"""Drive the lifecycle's dynamic resources the way `pulumi up` would, without a Pulumi CLI.

For every `up(raw)`:
1. the real program (__main__.py) runs under the mock engine (`tests.program.run_wave`) and registers its
   resources;
2. for the lifecycle's dynamic resources the registered inputs are taken as the engine takes them, the
   provider is unpickled from the `__provider` input (as the provider host does), and the steps run:
   `check(old inputs, new inputs)` for every resource first, then `create`, or `diff(old outputs, news)`
   followed by `update` or replace, then `delete` for what is no longer declared, with the previous
   outputs from this object's "state";
3. steps run in dependency order (record, test failover, cleanup, failover, complete migration) and, within
   one level, in parallel, as the engine runs independent steps.

The harness also plays the part of the resources it does not drive against the fake server: the
replication graph's protected items (seeded in the fake under the fabric and container names the program
registered) and the azure-native recovery plan (stored in the fake with the program's groups; the offline
subscription in its item ids is replaced by the fake's, as the real provider would have the real one).
"""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import dill

from migrate_tool.offline.engine import OFFLINE_SUBSCRIPTION, PlannedResource, ProgramRun
from tests.fake_arm.server import SUBSCRIPTION, FakeArm
from tests.program import run_wave

DYNAMIC = "pulumi-python:dynamic/"
LEVELS = {
    "lifecycle:PhaseRecord": 0,
    "asr:TestFailover": 1,
    "asr:PlanTestFailover": 1,
    "asr:TestFailoverCleanup": 2,
    "asr:PlanTestFailoverCleanup": 2,
    "asr:Failover": 3,
    "asr:PlanFailover": 3,
    "asr:CompleteMigration": 4,
}
PLAN_TYPE = "azure-native:recoveryservices:ReplicationRecoveryPlan"


class StepError(RuntimeError):
    """One or more steps failed; `errors` maps resource name to the exception."""

    def __init__(self, errors: dict[str, BaseException]) -> None:
        self.errors = errors
        super().__init__("\n".join(f"{name}: {error}" for name, error in sorted(errors.items())))


@dataclass
class Stored:
    type: str
    name: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    provider: Any  # the serialized provider, as kept in the stack's state


@dataclass
class LifecycleEngine:
    fake: FakeArm
    parallel: int = 64
    state: dict[str, Stored] = field(default_factory=dict)
    steps: list[tuple[str, str]] = field(default_factory=list)  # (operation, resource name) of the last up
    seeded: bool = False

    def up(self, raw: dict[str, Any], run: ProgramRun | None = None) -> ProgramRun:
        run = run or run_wave(raw)
        self.steps = []
        declared = {r.urn: r for r in run.resources if r.type.removeprefix(DYNAMIC) in LEVELS}
        self._seed(run, declared)
        self._check(declared)
        errors: dict[str, BaseException] = {}
        for level in sorted(set(LEVELS.values())):
            todo = [r for r in declared.values() if LEVELS[r.type.removeprefix(DYNAMIC)] == level]
            with ThreadPoolExecutor(max_workers=self.parallel) as pool:
                futures = {r.name: pool.submit(self._step, r) for r in todo}
            errors.update({name: f.exception() for name, f in futures.items() if f.exception() is not None})  # type: ignore[misc]
            if errors:  # dependents of a failed step do not run
                raise StepError(errors)
        for urn in [u for u in self.state if u not in declared]:
            stored = self.state.pop(urn)
            _provider(stored.provider).delete(stored.id, stored.outputs)
            self.steps.append(("delete", stored.name))
        return run

    def outputs(self, name_suffix: str) -> dict[str, Any]:
        [stored] = [s for s in self.state.values() if s.name.endswith(name_suffix)]
        return stored.outputs

    def _check(self, declared: dict[str, PlannedResource]) -> None:
        failures = {}
        for urn, resource in declared.items():
            old = self.state.get(urn)
            news = _inputs(resource)
            result = _provider(resource.inputs["__provider"]).check(old.inputs if old else {}, news)
            if result.failures:
                failures[resource.name] = ValueError("; ".join(f.reason for f in result.failures))
        if failures:
            raise StepError(failures)

    def _step(self, resource: PlannedResource) -> None:
        provider = _provider(resource.inputs["__provider"])
        news = _inputs(resource)
        old = self.state.get(resource.urn)
        if old is None:
            created = provider.create(news)
            self._store(resource, created.id, news, created.outs or {})
            self.steps.append(("create", resource.name))
            return
        diff = provider.diff(old.id, old.outputs, news)
        if diff.replaces:
            created = provider.create(news)
            _provider(old.provider).delete(old.id, old.outputs)
            self._store(resource, created.id, news, created.outs or {})
            self.steps.append(("replace", resource.name))
        elif diff.changes:
            updated = provider.update(old.id, old.outputs, news)
            self._store(resource, old.id, news, updated.outs or {})
            self.steps.append(("update", resource.name))

    def _store(self, resource: PlannedResource, id_: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        self.state[resource.urn] = Stored(
            resource.type, resource.name, id_, inputs, outputs, resource.inputs["__provider"]
        )

    def _seed(self, run: ProgramRun, declared: dict[str, PlannedResource]) -> None:
        """Put the protected items (once) and the recovery plan in the fake, as replication and azure-native would."""
        coordinates = next(
            (_inputs(r) for r in declared.values() if "fabric_name" in r.inputs),
            None,
        ) or next((_inputs(r)["machines"][0] | _inputs(r) for r in declared.values() if "machines" in r.inputs), None)
        if coordinates is None:
            return
        rg, vault = coordinates["resource_group_name"], coordinates["vault_name"]
        fabric, container = coordinates["fabric_name"], coordinates["container_name"]
        vault_path = self.fake.vault_path(rg, vault)
        if not self.seeded:
            self.seeded = True
            architecture = coordinates["architecture"]
            for machine in _machines(run):
                seed_item(self.fake, vault_path, fabric, container, machine, architecture)
        for plan in (r for r in run.resources if r.type == PLAN_TYPE):
            path = f"{vault_path}/replicationRecoveryPlans/{plan.inputs['recoveryPlanName']}"
            if self.fake.resource(path) is None:
                properties = plan.inputs["properties"]
                groups = [
                    {
                        **group,
                        "replicationProtectedItems": [
                            {"id": item["id"].replace(OFFLINE_SUBSCRIPTION, SUBSCRIPTION)}
                            for item in group.get("replicationProtectedItems", [])
                        ],
                    }
                    for group in properties["groups"]
                ]
                self.fake.put_resource(
                    path,
                    {
                        "friendlyName": plan.inputs["recoveryPlanName"],
                        "recoveryFabricId": properties["recoveryFabricId"],
                        "allowedOperations": ["TestFailover", "UnplannedFailover"],
                        "currentScenario": self.fake._no_scenario(),
                        "groups": groups,
                    },
                )


def seed_item(fake: FakeArm, vault_path: str, fabric: str, container: str, machine: str, architecture: str) -> None:
    """A protected item as replication leaves it, with its target VM settings and two recovery points."""
    target_group = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/migrationRG"
    details = (
        {"instanceType": "InMageRcm", "targetVmName": machine, "targetResourceGroupId": target_group}
        if architecture == "modernized"
        else {
            "instanceType": "InMageAzureV2",
            "recoveryAzureVMName": machine,
            "recoveryAzureResourceGroupId": target_group,
        }
    )
    item_path = f"{vault_path}/replicationFabrics/{fabric}/replicationProtectionContainers/{container}/replicationProtectedItems/{machine}"
    fake.put_resource(
        item_path,
        {
            "friendlyName": machine,
            "activeLocation": "Primary",
            "allowedOperations": ["PlannedFailover", "UnplannedFailover", "DisableProtection", "TestFailover"],
            "currentScenario": fake._no_scenario(),
            "protectionState": "Protected",
            "replicationHealth": "Normal",
            "testFailoverState": "None",
            "providerSpecificDetails": details,
        },
    )
    for name, when, kind in (
        ("rp-crash", "2026-05-01T10:00:00Z", "CrashConsistent"),
        ("rp-app", "2026-05-01T09:00:00Z", "AppConsistent"),
    ):
        fake.put_resource(f"{item_path}/recoveryPoints/{name}", {"recoveryPointTime": when, "recoveryPointType": kind})


def _machines(run: ProgramRun) -> list[str]:
    return [m["name"] for m in run.outputs["machines"]]


def _inputs(resource: PlannedResource) -> dict[str, Any]:
    return {k: v for k, v in resource.inputs.items() if k != "__provider"}


def _provider(serialized: Any) -> Any:
    """Unpickle a provider; the engine marks `__provider` secret, so it may arrive wrapped as one."""
    if isinstance(serialized, dict):
        serialized = serialized["value"]
    return dill.loads(base64.b64decode(serialized))
