"""A wave's recovery-plan actions: one ASR job for every machine of the wave.

`PlanTestFailover`, `PlanTestFailoverCleanup` and `PlanFailover` (type tokens `pulumi-python:dynamic/asr:<Class>`)
act on the wave's azure-native `ReplicationRecoveryPlan`. Each reads the plan and its items first, attaches to a
running job of its kind, records `AlreadyDone` / `NothingToCleanUp` when the items are already there, checks
`allowedOperations` and the guards (failover: every machine tested recently, or skipped with a reason; the EC2
sources stopped), and only then sends the POST once and follows the job verified as this action's.
Complete migration has no plan action: it runs per item (`components.asr.wave_actions.WaveCompleteMigration`).

Outputs: the inputs plus the audit (`job_name`, `job_id`, `started_at`, `ended_at`, `result`,
`recovery_point_used`, `source_stop`, `skip_test_failover_reason`, and `items`: machine -> item id and VM ids).
The diff replaces only when the plan changes (known values only); a change of machines or settings after the
action ran changes nothing. Delete only forgets.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pulumi
from azure.mgmt.recoveryservicessiterecovery import models
from pulumi.dynamic import CheckFailure, CreateResult, Resource, UpdateResult

from components.architecture import PROVIDER_TYPES
from components.asr import console
from components.asr.arm import resolve_subscription_id, site_recovery_client, vault_path
from components.asr.checks import is_unknown, one_of
from components.asr.item_actions import (
    DEFAULT_CLEANUP_COMMENTS,
    NO_TEST_STATES,
    ActionRefusedError,
    LifecycleActionError,
    allowed_operations,
    follow,
    job_id,
    now,
    running_job,
    test_failover_guard,
    vm_ids,
)
from components.asr.jobs import ActionStartedError, JobMatch, start_job
from components.asr.provider import DeclaredInputsProvider
from components.asr.provider_inputs import provider_inputs
from components.asr.recovery_points import NAMED, plan_recovery_point_type
from components.aws.ec2 import SourceStopError, stop_source_instances

PROVIDER_VERSION = "1"
RECORD_KEYS = (
    "job_name", "job_id", "started_at", "ended_at", "result", "recovery_point_used", "source_stop",
    "skip_test_failover_reason", "items", "comments",
)  # fmt: skip
# Lower-case scenario names of a plan's jobs (the fake's; ASR's own for plans are not in the examples).
_PLAN_SCENARIOS = {
    "testfailover": frozenset({"testfailover"}),
    "testfailovercleanup": frozenset({"testfailovercleanup", "cleanuptestfailover"}),
    "unplannedfailover": frozenset({"unplannedfailover"}),
}


class PlanActionProvider(DeclaredInputsProvider):
    """A recovery plan action; subclasses set the operation and what differs."""

    kind = "action"
    operation = ""
    scenarios: frozenset[str] = frozenset()
    required: tuple[str, ...] = ("resource_group_name", "vault_name", "recovery_plan_name")
    replacing = ("subscription_id", "resource_group_name", "vault_name", "recovery_plan_name")
    updating = ("version",)

    def begin(self, client: Any) -> Callable[..., Any]:
        raise NotImplementedError

    def validate(self, news: dict[str, Any]) -> list[CheckFailure]:
        failures = one_of(news, "architecture", PROVIDER_TYPES)
        machines = news.get("machines")
        if not is_unknown(machines) and (not isinstance(machines, list) or not machines):
            failures.append(CheckFailure("machines", "machines: must list the plan's machines"))
        point = news.get("recovery_point")
        if not is_unknown(point) and point not in (None, *NAMED):
            failures.append(
                CheckFailure("recovery_point", f"recovery_point: {point!r} a recovery plan takes {', '.join(NAMED)}")
            )
        return failures

    def create(self, props: dict[str, Any]) -> CreateResult:
        subscription = resolve_subscription_id(props.get("subscription_id"))
        outs = {**dict.fromkeys(RECORD_KEYS), **props, **self.run(props, subscription)}
        plan = f"{vault_path(subscription, props['resource_group_name'], props['vault_name'])}/replicationRecoveryPlans"
        return CreateResult(f"{self.kind}:{plan}/{props['recovery_plan_name']}", outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """The action has run: keep its audit, run nothing."""
        return UpdateResult({**news, **{key: olds.get(key) for key in RECORD_KEYS}})

    def run(self, props: dict[str, Any], subscription: str) -> dict[str, Any]:
        rg, vault, plan_name = props["resource_group_name"], props["vault_name"], props["recovery_plan_name"]
        what = f"recovery plan {plan_name}: {self.kind}"
        with site_recovery_client(subscription) as client:

            def get_plan() -> Any:
                return client.replication_recovery_plans.get(rg, vault, plan_name)

            plan = get_plan()
            items = self._read_items(client, props)
            running = running_job(client, rg, vault, plan)
            if running is not None:
                name, scenario, started = running
                if scenario.lower() not in self.scenarios:
                    raise ActionRefusedError(
                        f"{what}: ASR job {name} ({scenario}) is running on the plan; wait for it to end"
                    )
                console.info(f"{what}: attaching to the running ASR job {name} instead of starting another")
                follow(client, rg, vault, name, what)
                return {
                    **self.details(props, items, None),
                    **self._audit(subscription, props, name, started, "Attached"),
                }
            done = self.already_done(items)
            if done:
                return {**self.details(props, items, None), "result": done, "ended_at": now()}
            allowed = allowed_operations(plan)
            if self.operation not in allowed:
                raise ActionRefusedError(
                    f"{what}: ASR does not allow {self.operation} on the plan now (allowedOperations: {', '.join(allowed) or 'none'})"
                )
            self.guard(props, items, what)
            extra = self.before(props)
            started = now()
            match = JobMatch(self.scenarios, (plan.name or plan_name, plan.properties.friendly_name or ""))
            try:
                name = start_job(
                    client, self.begin(client), rg, vault, plan_name, self.body(props),
                    get_item=get_plan, match=match, what=what,
                )  # fmt: skip
            except ActionStartedError as error:
                raise LifecycleActionError(f"{what}: {error}") from error
            follow(client, rg, vault, name, what)
            return {**self.details(props, items, extra), **self._audit(subscription, props, name, started, "Succeeded")}

    def _audit(
        self, subscription: str, props: dict[str, Any], name: str, started: str | None, result: str
    ) -> dict[str, Any]:
        return {
            "job_name": name,
            "job_id": job_id(subscription, props["resource_group_name"], props["vault_name"], name),
            "started_at": started,
            "ended_at": now(),
            "result": result,
        }

    def _read_items(self, client: Any, props: dict[str, Any]) -> dict[str, Any]:
        """The plan's items, machine name -> item, listed per protection container: one paged read for a
        whole wave instead of one GET per machine."""
        rg, vault = props["resource_group_name"], props["vault_name"]
        listed: dict[tuple[str, str], dict[str, Any]] = {}
        items: dict[str, Any] = {}
        for machine in props["machines"]:
            container = (machine["fabric_name"], machine["container_name"])
            if container not in listed:
                pages = client.replication_protected_items.list_by_replication_protection_containers(
                    rg, vault, *container
                )
                listed[container] = {item.name.lower(): item for item in pages}
            item = listed[container].get(machine["protected_item_name"].lower())
            if item is None:
                raise ActionRefusedError(
                    f"recovery plan {props['recovery_plan_name']}: protected item {machine['protected_item_name']}"
                    f" ({machine['machine_name']}) was not found"
                )
            items[machine["machine_name"]] = item
        return items

    def already_done(self, items: dict[str, Any]) -> str | None:
        return None

    def guard(self, props: dict[str, Any], items: dict[str, Any], what: str) -> None:
        return None

    def before(self, props: dict[str, Any]) -> dict[str, Any]:
        return {}

    def body(self, props: dict[str, Any]) -> Any:
        raise NotImplementedError

    def specific(self, props: dict[str, Any]) -> list[Any]:
        kind = plan_recovery_point_type(props.get("recovery_point") or "latest")
        return [provider_inputs(props["architecture"]).plan_failover(kind)]

    def details(self, props: dict[str, Any], items: dict[str, Any], extra: dict[str, Any] | None) -> dict[str, Any]:
        point = {
            "requested": props.get("recovery_point") or "latest",
            "type": plan_recovery_point_type(props.get("recovery_point") or "latest"),
        }
        return {
            "recovery_point_used": point,
            **(extra or {}),
            "items": {n: self.item_record(i) for n, i in items.items()},
        }

    def item_record(self, item: Any) -> dict[str, Any]:
        return {"item_id": item.id}


class PlanTestFailoverProvider(PlanActionProvider):
    __test__ = False
    kind = "test failover"
    operation = "TestFailover"
    scenarios = _PLAN_SCENARIOS["testfailover"]
    required = (*PlanActionProvider.required, "test_network_id")

    def begin(self, client: Any) -> Callable[..., Any]:
        return client.replication_recovery_plans.begin_test_failover  # type: ignore[no-any-return]

    def already_done(self, items: dict[str, Any]) -> str | None:
        pending = all((i.properties.test_failover_state or "") not in NO_TEST_STATES for i in items.values())
        return "AlreadyDone" if pending else None

    def body(self, props: dict[str, Any]) -> Any:
        return models.RecoveryPlanTestFailoverInput(
            properties=models.RecoveryPlanTestFailoverInputProperties(
                failover_direction="PrimaryToRecovery",
                network_type="VmNetworkAsInput",
                network_id=props["test_network_id"],
                provider_specific_details=self.specific(props),
            )
        )

    def item_record(self, item: Any) -> dict[str, Any]:
        return {"item_id": item.id, "test_vm_id": vm_ids(item)[0]}


class PlanTestFailoverCleanupProvider(PlanActionProvider):
    __test__ = False
    kind = "test failover cleanup"
    operation = "TestFailoverCleanup"
    scenarios = _PLAN_SCENARIOS["testfailovercleanup"]

    def begin(self, client: Any) -> Callable[..., Any]:
        return client.replication_recovery_plans.begin_test_failover_cleanup  # type: ignore[no-any-return]

    def already_done(self, items: dict[str, Any]) -> str | None:
        clean = all((i.properties.test_failover_state or "") in NO_TEST_STATES for i in items.values())
        return "NothingToCleanUp" if clean else None

    def details(self, props: dict[str, Any], items: dict[str, Any], extra: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "items": {name: {"item_id": item.id} for name, item in items.items()},
            "comments": props.get("comments") or DEFAULT_CLEANUP_COMMENTS,
        }

    def body(self, props: dict[str, Any]) -> Any:
        comments = props.get("comments") or DEFAULT_CLEANUP_COMMENTS
        return models.RecoveryPlanTestFailoverCleanupInput(
            properties=models.RecoveryPlanTestFailoverCleanupInputProperties(comments=comments)
        )


class PlanFailoverProvider(PlanActionProvider):
    kind = "failover"
    operation = "UnplannedFailover"
    scenarios = _PLAN_SCENARIOS["unplannedfailover"]

    def begin(self, client: Any) -> Callable[..., Any]:
        return client.replication_recovery_plans.begin_unplanned_failover  # type: ignore[no-any-return]

    def validate(self, news: dict[str, Any]) -> list[CheckFailure]:
        failures = super().validate(news)
        if (
            news.get("shutdown_source") is True
            and not is_unknown(news.get("aws_region"))
            and not news.get("aws_region")
        ):
            failures.append(CheckFailure("aws_region", "aws_region: is needed when shutdown_source is set"))
        return failures

    def already_done(self, items: dict[str, Any]) -> str | None:
        failed_over = all((i.properties.active_location or "") == "Recovery" for i in items.values())
        return "AlreadyDone" if failed_over else None

    def guard(self, props: dict[str, Any], items: dict[str, Any], what: str) -> None:
        at = datetime.now(UTC)
        max_age = float(props.get("test_failover_max_age_days") or 7)
        problems = [
            problem
            for machine in props["machines"]
            if (
                problem := test_failover_guard(
                    items[machine["machine_name"]], machine["machine_name"], max_age,
                    machine.get("skip_test_failover_reason"), at,
                )
            )
        ]  # fmt: skip
        if problems:
            raise ActionRefusedError(f"{what} refused:\n" + "\n".join(f"  - {p}" for p in problems))

    def before(self, props: dict[str, Any]) -> dict[str, Any]:
        skipped = {
            m["machine_name"]: m["skip_test_failover_reason"]
            for m in props["machines"]
            if m.get("skip_test_failover_reason")
        }
        stop = None
        if props.get("shutdown_source"):
            try:
                stop = stop_source_instances([m["instance_id"] for m in props["machines"]], props["aws_region"])
            except SourceStopError as error:
                raise ActionRefusedError(str(error)) from error
        return {"source_stop": stop, "skip_test_failover_reason": skipped or None}

    def body(self, props: dict[str, Any]) -> Any:
        return models.RecoveryPlanUnplannedFailoverInput(
            properties=models.RecoveryPlanUnplannedFailoverInputProperties(
                failover_direction="PrimaryToRecovery",
                source_site_operations="Required" if props.get("shutdown_source") else "NotRequired",
                provider_specific_details=self.specific(props),
            )
        )

    def item_record(self, item: Any) -> dict[str, Any]:
        return {"item_id": item.id, "vm_id": vm_ids(item)[1]}


def _declare(resource: Resource, provider: PlanActionProvider, name: str, inputs: dict[str, Any], opts: Any) -> None:
    Resource.__init__(
        resource, provider, name, {**dict.fromkeys(RECORD_KEYS), **inputs, "version": PROVIDER_VERSION}, opts
    )


class PlanTestFailover(Resource, module="asr", name="PlanTestFailover"):
    __test__ = False
    result: pulumi.Output[str]
    items: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        _declare(self, PlanTestFailoverProvider(), name, inputs, opts)


class PlanTestFailoverCleanup(Resource, module="asr", name="PlanTestFailoverCleanup"):
    __test__ = False
    result: pulumi.Output[str]
    items: pulumi.Output[dict[str, Any]]
    comments: pulumi.Output[str]

    def __init__(self, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        _declare(self, PlanTestFailoverCleanupProvider(), name, inputs, opts)


class PlanFailover(Resource, module="asr", name="PlanFailover"):
    result: pulumi.Output[str]
    items: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        _declare(self, PlanFailoverProvider(), name, inputs, opts)
