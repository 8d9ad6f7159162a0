"""A wave's recovery-plan actions: one ASR job for every machine of the wave.

`PlanTestFailover`, `PlanTestFailoverCleanup` and `PlanFailover` (type tokens `pulumi-python:dynamic/asr:<Class>`)
act on the wave's azure-native `ReplicationRecoveryPlan`: each runs its action of `components.asr.lifecycle_actions`
on the plan and its items (`targets.PlanTarget`) by the one protocol (`components.asr.action_protocol`: read,
attach to a running job, already done, `allowedOperations` and the guards for every machine, send once, follow).
Complete migration has no plan action: it runs per item (`components.asr.wave_actions.WaveCompleteMigration`).

Outputs: the inputs plus the audit (`job_name`, `job_id`, `started_at`, `ended_at`, `result`,
`recovery_point_used`, `source_stop`, `skip_test_failover_reason`, and `items`: machine -> item id and VM ids).
The diff replaces only when the plan changes (known values only); a change of machines or settings after the
action ran changes nothing. Delete only forgets.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CreateResult, Resource, UpdateResult

from components.asr.action_inputs import ENTRY_KEYS, ActionInputs
from components.asr.action_protocol import Action, run_action
from components.asr.arm import resolve_subscription_id, site_recovery_client, vault_path
from components.asr.checks import is_unknown, required_strings
from components.asr.lifecycle_actions import FailoverAction, TestFailoverAction, TestFailoverCleanupAction
from components.asr.provider import DeclaredInputsProvider
from components.asr.recovery_points import NAMED
from components.asr.targets import PlanTarget

PROVIDER_VERSION = "1"
RECORD_KEYS = (
    "job_name", "job_id", "started_at", "ended_at", "result", "recovery_point_used", "source_stop",
    "skip_test_failover_reason", "items", "comments",
)  # fmt: skip


class PlanActionProvider(DeclaredInputsProvider):
    """A recovery plan action; a subclass sets `action` (an `action_protocol.Action` that runs on plans)."""

    action: Action = Action()
    required: tuple[str, ...] = ("resource_group_name", "vault_name", "recovery_plan_name")
    replacing = ("subscription_id", "resource_group_name", "vault_name", "recovery_plan_name")
    updating = ("version",)

    def validate(self, news: dict[str, Any]) -> list[CheckFailure]:
        failures = self.action.validate(news)
        if not self.action.on_plans:
            failures.append(CheckFailure("recovery_plan_name", f"a recovery plan has no {self.action.kind}"))
        machines = news.get("machines")
        if not is_unknown(machines) and (not isinstance(machines, list) or not machines):
            failures.append(CheckFailure("machines", "machines: must list the plan's machines"))
        elif isinstance(machines, list):
            keys = ("machine_name", *ENTRY_KEYS, *self.action.machine_keys(news))
            for index, entry in enumerate(machines):
                entry = entry if isinstance(entry, dict) else {}
                for failure in required_strings(entry, keys):
                    failures.append(CheckFailure("machines", f"machines[{index}].{failure.reason}"))
        point = news.get("recovery_point")
        if not is_unknown(point) and point not in (None, *NAMED):
            failures.append(
                CheckFailure("recovery_point", f"recovery_point: {point!r} a recovery plan takes {', '.join(NAMED)}")
            )
        return failures

    def create(self, props: dict[str, Any]) -> CreateResult:
        subscription = resolve_subscription_id(props.get("subscription_id"))
        with site_recovery_client(subscription) as client:
            record = run_action(self.action, PlanTarget(client, props), client, subscription)
        outs = {**dict.fromkeys(RECORD_KEYS), **props, **record}
        plan = f"{vault_path(subscription, props['resource_group_name'], props['vault_name'])}/replicationRecoveryPlans"
        return CreateResult(f"{self.action.kind}:{plan}/{props['recovery_plan_name']}", outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """The action has run: keep its audit, run nothing."""
        return UpdateResult({**news, **{key: olds.get(key) for key in RECORD_KEYS}})


class PlanTestFailoverProvider(PlanActionProvider):
    __test__ = False
    action = TestFailoverAction()


class PlanTestFailoverCleanupProvider(PlanActionProvider):
    __test__ = False
    action = TestFailoverCleanupAction()


class PlanFailoverProvider(PlanActionProvider):
    action = FailoverAction()


def declare(resource: Resource, provider: PlanActionProvider, name: str, inputs: ActionInputs, opts: Any) -> None:
    """Register a plan action resource: its record keys outputs, the provider code's `version` an input."""
    props = {**dict.fromkeys(RECORD_KEYS), **inputs.to_props(), "version": PROVIDER_VERSION}
    Resource.__init__(resource, provider, name, props, opts)


class PlanTestFailover(Resource, module="asr", name="PlanTestFailover"):
    __test__ = False
    result: pulumi.Output[str]
    items: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, inputs: ActionInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        declare(self, PlanTestFailoverProvider(), name, inputs, opts)


class PlanTestFailoverCleanup(Resource, module="asr", name="PlanTestFailoverCleanup"):
    __test__ = False
    result: pulumi.Output[str]
    items: pulumi.Output[dict[str, Any]]
    comments: pulumi.Output[str]

    def __init__(self, name: str, inputs: ActionInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        declare(self, PlanTestFailoverCleanupProvider(), name, inputs, opts)


class PlanFailover(Resource, module="asr", name="PlanFailover"):
    result: pulumi.Output[str]
    items: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, inputs: ActionInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        declare(self, PlanFailoverProvider(), name, inputs, opts)
