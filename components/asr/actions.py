"""The migration lifecycle's ASR actions as dynamic resources: test failover, its cleanup, failover, complete migration.

Per protected item: `TestFailover`, `TestFailoverCleanup`, `Failover`, `CompleteMigration`.
Per recovery plan (one ASR job for a whole wave): `PlanTestFailover`, `PlanTestFailoverCleanup`, `PlanFailover`.
Their type tokens are `pulumi-python:dynamic/asr:<Class>`.

How every action runs (`create`), so that it is idempotent and resumable:

1. Read the item (or plan) first. If an ASR job is running on it (`currentScenario.jobId`) and it is this
   action's kind of job, attach to it and wait: a `pulumi up` that died after the POST never sends a second
   failover. A running job of another kind refuses the action and names that job.
2. If the item already is where the action leads (a test failover waits for cleanup, the item is failed
   over, the item is gone after complete migration), record `AlreadyDone` and send nothing.
3. Check `allowedOperations` (and, for failover, the tested-recently guard); refuse with the reason if ASR
   would not allow the action.
4. Only then send the POST (`jobs.start_job`) and follow the ASR job (`jobs.wait_for_job`): a failed job
   raises ASR's code, message and recommended action, a suspended one says how to resume it.

Outputs are the audit trail: `job_name`, `job_id`, `started_at`, `ended_at`, `result` (`Succeeded`,
`Attached`, `AlreadyDone`, `NothingToCleanUp`), the `recovery_point` used, `test_vm_id` / `vm_id`, `source_stop`
(the EC2 stop before failover) and `skip_test_failover_reason`.

Deleting any of these resources (also `pulumi destroy`) only forgets the record: it sends nothing to ASR or
AWS, so it never undoes, repeats, cancels or purges anything, and migrated VMs keep running. An in-progress
job is never cancelled. A change of item or plan replaces the resource, which runs the action on the new
target; a change of any other input (recovery point, comments, ...) changes nothing, since the action has
already run (see docs/lifecycle.md).

Per-machine actions take a slot of `max_concurrency` for their whole run (a process-wide semaphore per
vault), so a wave's machines run in parallel, at most `max_concurrency` at a time, never one after another.
The provider objects hold no client or credential: each method builds its clients from the environment.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pulumi
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.recoveryservicessiterecovery import models
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from components.asr.arm import resolve_subscription_id, site_recovery_client
from components.asr.checks import required_strings
from components.asr.jobs import (
    RUNNING_STATES,
    AsrJobError,
    AsrJobNotFoundError,
    AsrJobTimeoutError,
    job_name_from_item,
    start_job,
    wait_for_job,
)
from components.asr.recovery_points import plan_recovery_point_type, recovery_point_rule, resolve_item_recovery_point

PROVIDER_VERSION = "1"
PROVIDER_TYPES = {"modernized": "InMageRcm", "classic": "InMageAzureV2"}
NO_TEST_STATES = frozenset({"", "None"})
AUDIT_KEYS = (
    "job_name", "job_id", "started_at", "ended_at", "result", "recovery_point_used", "test_vm_id", "vm_id",
    "source_stop", "items",
)  # fmt: skip
OUTPUT_KEYS = (*AUDIT_KEYS, "skip_test_failover_reason")
_ITEM_KEYS = (
    "subscription_id",
    "resource_group_name",
    "vault_name",
    "fabric_name",
    "container_name",
    "protected_item_name",
)
_PLAN_KEYS = ("subscription_id", "resource_group_name", "vault_name", "recovery_plan_name")


class ActionRefusedError(RuntimeError):
    """ASR (or a lifecycle guard) would not allow the action now; nothing was sent."""


class LifecycleActionError(RuntimeError):
    """An action's ASR job failed, was suspended or timed out; the message carries ASR's details."""


# ---- the per-machine concurrency bound -------------------------------------------------------------

_SLOTS: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


@contextmanager
def concurrency_slot(key: str, limit: int) -> Iterator[None]:
    """Hold one of `limit` slots shared by every action on `key` (a vault) in this provider process."""
    with _SLOTS_LOCK:
        semaphore = _SLOTS.setdefault((key, limit), threading.BoundedSemaphore(limit))
    with semaphore:
        yield


# ---- shared helpers --------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _props_of(item: Any) -> Any:
    return item.properties if item is not None else None


def _scenario(target: Any) -> tuple[str | None, str, str | None]:
    """(running job name or None, scenario name, scenario start time) of an item or plan."""
    properties = _props_of(target)
    scenario = properties.current_scenario if properties is not None else None
    if scenario is None:
        return None, "", None
    start = scenario.start_time.isoformat() if scenario.start_time is not None else None
    return job_name_from_item(target), scenario.scenario_name or "", start


def _running_job(client: Any, rg: str, vault: str, target: Any) -> tuple[str, str, str | None] | None:
    """(job name, scenario name, start time) of the ASR job running on `target`, else None."""
    name, scenario, start = _scenario(target)
    if name is None:
        return None
    job = client.replication_jobs.get(rg, vault, name)
    state = job.properties.state if job.properties is not None else None
    return (name, scenario, start) if state in RUNNING_STATES else None


def _job_id(subscription_id: str, rg: str, vault: str, job_name: str) -> str:
    return (
        f"/subscriptions/{subscription_id}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{vault}"
        f"/replicationJobs/{job_name}"
    )


def _allowed(target: Any) -> list[str]:
    properties = _props_of(target)
    return list((properties.allowed_operations if properties is not None else None) or [])


def _follow(client: Any, props: dict[str, Any], job_name: str, what: str) -> None:
    """Wait for an action's job; re-raise its failure with the machine or plan it was for."""
    rg, vault = props["resource_group_name"], props["vault_name"]
    try:
        wait_for_job(
            client,
            rg,
            vault,
            job_name,
            progress=lambda s: pulumi.log.info(f"{what}: {s.state} ({s.state_description})"),
        )
    except (AsrJobError, AsrJobTimeoutError, AsrJobNotFoundError) as error:
        raise LifecycleActionError(f"{what}: {error}") from error


def _vm_ids(item: Any) -> tuple[str | None, str | None]:
    """(test failover VM id, failed-over VM id), derived from the item's target settings.

    ASR names the test failover VM `<target VM name>-test` in the target resource group.
    """
    properties = _props_of(item)
    details = properties.provider_specific_details if properties is not None else None
    group = getattr(details, "target_resource_group_id", None) or getattr(
        details, "recovery_azure_resource_group_id", None
    )
    name = getattr(details, "target_vm_name", None) or getattr(details, "recovery_azure_vm_name", None)
    if not group or not name:
        return None, getattr(details, "target_vm_id", None)
    base = f"{group}/providers/Microsoft.Compute/virtualMachines/{name}"
    return f"{base}-test", getattr(details, "target_vm_id", None) or base


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def test_failover_guard(
    item: Any, machine: str, max_age_days: float, skip_reason: str | None, now: datetime
) -> str | None:
    """Why a failover of `item` must wait, or None: a successful, cleaned-up test failover within the age limit."""
    if skip_reason:
        return None
    properties = _props_of(item)
    tested = properties.last_successful_test_failover_time if properties is not None else None
    state = (properties.test_failover_state if properties is not None else None) or ""
    if state not in NO_TEST_STATES or "TestFailoverCleanup" in _allowed(item):
        return f"{machine}: its test failover is not cleaned up yet (testFailoverState {state!r}); move it to phase 'tested' first"
    if tested is None:
        return (
            f"{machine}: has no successful test failover; run phases test and tested first, or set"
            " machines[].skipTestFailover to the reason it is skipped"
        )
    age = now - _as_utc(tested)
    if age > timedelta(days=max_age_days):
        return (
            f"{machine}: its last successful test failover ({_as_utc(tested).isoformat()}) is {age.days} days old,"
            f" more than lifecycle.testFailoverMaxAgeDays ({max_age_days:g}); test it again or set"
            " machines[].skipTestFailover to the reason"
        )
    return None


def stop_source_instances(instance_ids: list[str], region: str) -> dict[str, Any]:
    """Stop EC2 instances before failover (ASR's own shutdown of AWS sources is best effort) and wait.

    Returns what happened per instance. Raises ActionRefusedError if an instance cannot be stopped: failing
    over a source that keeps running would leave two live copies of the machine.
    """
    import boto3  # imported here: the provider is pickled, and no client is kept anywhere

    ec2 = boto3.client("ec2", region_name=region)
    before = {
        instance["InstanceId"]: instance["State"]["Name"]
        for reservation in ec2.describe_instances(InstanceIds=instance_ids)["Reservations"]
        for instance in reservation["Instances"]
    }
    to_stop = [i for i in instance_ids if before.get(i) in ("pending", "running", "stopping")]
    missing = [i for i in instance_ids if i not in before]
    if missing:
        raise ActionRefusedError(f"EC2 instances {missing} were not found in {region}; the sources cannot be stopped")
    if to_stop:
        ec2.stop_instances(InstanceIds=to_stop)
        delay = float(os.environ.get("ASR_SOURCE_STOP_POLL_SECONDS", "15"))
        attempts = max(1, int(float(os.environ.get("ASR_SOURCE_STOP_TIMEOUT_SECONDS", "900")) / max(delay, 0.01)))
        try:
            ec2.get_waiter("instance_stopped").wait(
                InstanceIds=to_stop, WaiterConfig={"Delay": delay, "MaxAttempts": attempts}
            )
        except Exception as error:  # botocore's WaiterError and client errors alike: refuse to fail over
            raise ActionRefusedError(
                f"EC2 instances {to_stop} in {region} did not stop ({error}); the failover was not started."
                " Stop them, or set lifecycle.shutdownSource: false to rely on ASR's best-effort shutdown"
            ) from error
    at = _now()
    return {
        "region": region,
        "at": at,
        "instances": {
            i: {"before": before[i], "after": "stopped" if i in to_stop or before[i] == "stopped" else before[i]}
            for i in instance_ids
        },
    }


def _check_common(news: dict[str, Any]) -> list[CheckFailure]:
    failures = []
    if news.get("architecture") not in PROVIDER_TYPES:
        failures.append(
            CheckFailure(
                "architecture", f"architecture: {news.get('architecture')!r} must be one of modernized, classic"
            )
        )
    point = news.get("recovery_point")
    if point is not None and (not isinstance(point, str) or recovery_point_rule(point)):
        failures.append(CheckFailure("recovery_point", f"recovery_point: {point!r} {recovery_point_rule(str(point))}"))
    return failures


class _ActionProvider(ResourceProvider):
    """Shared `check`/`diff`/`update`/`delete`; subclasses set `kind`, `required` and implement `run`."""

    kind = "action"
    target_keys: tuple[str, ...] = _ITEM_KEYS
    required: tuple[str, ...] = ()

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        keys = tuple(k for k in self.target_keys if k != "subscription_id") + self.required
        return CheckResult(news, required_strings(news, keys) + _check_common(news))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Another item or plan replaces (the action runs on the new target); `version` updates; the rest is moot."""
        replaces = [key for key in self.target_keys if olds.get(key) != news.get(key)]
        changed = replaces + (["version"] if olds.get("version") != news.get("version") else [])
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = {**dict.fromkeys(AUDIT_KEYS), **props, **self.run(props)}
        return CreateResult(f"{self.kind}:{_target_id(props)}", outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only `version` changed: keep the audit trail, run nothing."""
        return UpdateResult({**news, **{key: olds.get(key) for key in AUDIT_KEYS}})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Forget the record only: nothing is sent to ASR or AWS (see the module docstring)."""

    def run(self, props: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _audit(
        self, subscription: str, props: dict[str, Any], job_name: str, started: str | None, result: str
    ) -> dict[str, Any]:
        return {
            "job_name": job_name,
            "job_id": _job_id(subscription, props["resource_group_name"], props["vault_name"], job_name),
            "started_at": started,
            "ended_at": _now(),
            "result": result,
        }


def _target_id(props: dict[str, Any]) -> str:
    subscription = resolve_subscription_id(props.get("subscription_id"))
    base = (
        f"/subscriptions/{subscription}/resourceGroups/{props['resource_group_name']}/providers/"
        f"Microsoft.RecoveryServices/vaults/{props['vault_name']}"
    )
    if props.get("recovery_plan_name"):
        return f"{base}/replicationRecoveryPlans/{props['recovery_plan_name']}"
    return (
        f"{base}/replicationFabrics/{props['fabric_name']}/replicationProtectionContainers/{props['container_name']}"
        f"/replicationProtectedItems/{props['protected_item_name']}"
    )


# ---- per protected item ------------------------------------------------------------------------------


class _ItemActionProvider(_ActionProvider):
    operation = ""  # the allowedOperations entry ASR must list
    scenarios: frozenset[str] = frozenset()  # lower-case currentScenario names of this action's jobs
    begin = ""  # method of client.replication_protected_items

    def run(self, props: dict[str, Any]) -> dict[str, Any]:
        machine = props.get("machine_name") or props["protected_item_name"]
        limit = int(props.get("max_concurrency") or 10)
        with concurrency_slot(f"{props['resource_group_name']}/{props['vault_name']}", limit):
            return self._run(props, f"{machine}: {self.kind}")

    def _run(self, props: dict[str, Any], what: str) -> dict[str, Any]:
        rg, vault = props["resource_group_name"], props["vault_name"]
        subscription = resolve_subscription_id(props.get("subscription_id"))
        coordinates = (rg, vault, props["fabric_name"], props["container_name"], props["protected_item_name"])
        with site_recovery_client(subscription) as client:

            def get_item() -> Any:
                return client.replication_protected_items.get(*coordinates)

            try:
                item = get_item()
            except ResourceNotFoundError:
                return self.item_missing(props, what)
            running = _running_job(client, rg, vault, item)
            if running is not None:
                job_name, scenario, started = running
                if scenario.lower() not in self.scenarios:
                    raise ActionRefusedError(
                        f"{what}: ASR job {job_name} ({scenario}) is running on the item; wait for it to end, then run"
                        " `pulumi up` again"
                    )
                pulumi.log.info(f"{what}: attaching to the running ASR job {job_name} instead of starting another")
                _follow(client, props, job_name, what)
                return {
                    **self.details(props, item, None),
                    **self._audit(subscription, props, job_name, started, "Attached"),
                }
            done = self.already_done(item)
            if done:
                return {**self.details(props, item, None), "result": done, "ended_at": _now()}
            allowed = _allowed(item)
            if self.operation not in allowed:
                raise ActionRefusedError(
                    f"{what}: ASR does not allow {self.operation} on item {props['protected_item_name']} now"
                    f" (allowedOperations: {', '.join(allowed) or 'none'}; protectionState:"
                    f" {item.properties.protection_state}; testFailoverState: {item.properties.test_failover_state})"
                )
            self.guard(props, item, what)
            extra = self.before(props, client, coordinates)
            started = _now()
            job_name = start_job(
                client,
                getattr(client.replication_protected_items, self.begin),
                rg, vault, *coordinates[2:], self.body(props, extra),
                get_item=get_item,
            )  # fmt: skip
            _follow(client, props, job_name, what)
            return {
                **self.details(props, item, extra),
                **self._audit(subscription, props, job_name, started, "Succeeded"),
            }

    def item_missing(self, props: dict[str, Any], what: str) -> dict[str, Any]:
        raise ActionRefusedError(
            f"{what}: protected item {props['protected_item_name']} was not found in vault {props['vault_name']}"
        )

    def already_done(self, item: Any) -> str | None:
        return None

    def guard(self, props: dict[str, Any], item: Any, what: str) -> None:
        return None

    def before(self, props: dict[str, Any], client: Any, coordinates: tuple[str, str, str, str, str]) -> dict[str, Any]:
        """Work done right before the POST (recovery point choice, EC2 stop); its result goes into the outputs."""
        return {}

    def body(self, props: dict[str, Any], extra: dict[str, Any]) -> Any:
        raise NotImplementedError

    def details(self, props: dict[str, Any], item: Any, extra: dict[str, Any] | None) -> dict[str, Any]:
        return dict(extra or {})


class TestFailoverProvider(_ItemActionProvider):
    """Test failover of one item into the isolated test network."""

    __test__ = False  # not a pytest class
    kind = "test failover"
    operation = "TestFailover"
    scenarios = frozenset({"testfailover"})
    begin = "begin_test_failover"
    required = ("test_network_id",)

    def already_done(self, item: Any) -> str | None:
        state = item.properties.test_failover_state or ""
        return "AlreadyDone" if state not in NO_TEST_STATES or "TestFailoverCleanup" in _allowed(item) else None

    def before(self, props: dict[str, Any], client: Any, coordinates: tuple[str, str, str, str, str]) -> dict[str, Any]:
        return {
            "recovery_point_used": resolve_item_recovery_point(
                client, coordinates, props.get("recovery_point") or "latest"
            )
        }

    def body(self, props: dict[str, Any], extra: dict[str, Any]) -> Any:
        point_id = extra["recovery_point_used"]["id"]
        specific: Any = (
            models.InMageRcmTestFailoverInput(network_id=props["test_network_id"], recovery_point_id=point_id)
            if props["architecture"] == "modernized"
            else models.InMageAzureV2TestFailoverInput(recovery_point_id=point_id)
        )
        return models.TestFailoverInput(
            properties=models.TestFailoverInputProperties(
                failover_direction="PrimaryToRecovery",
                network_type="VmNetworkAsInput",
                network_id=props["test_network_id"],
                provider_specific_details=specific,
            )
        )

    def details(self, props: dict[str, Any], item: Any, extra: dict[str, Any] | None) -> dict[str, Any]:
        return {**(extra or {}), "test_vm_id": _vm_ids(item)[0]}


class TestFailoverCleanupProvider(_ItemActionProvider):
    """Clean up one item's test failover (deletes the test VM); records `NothingToCleanUp` when none is pending."""

    __test__ = False
    kind = "test failover cleanup"
    operation = "TestFailoverCleanup"
    scenarios = frozenset({"testfailovercleanup", "cleanuptestfailover"})
    begin = "begin_test_failover_cleanup"

    def item_missing(self, props: dict[str, Any], what: str) -> dict[str, Any]:
        return {"result": "NothingToCleanUp", "ended_at": _now()}

    def already_done(self, item: Any) -> str | None:
        state = item.properties.test_failover_state or ""
        return "NothingToCleanUp" if state in NO_TEST_STATES and "TestFailoverCleanup" not in _allowed(item) else None

    def body(self, props: dict[str, Any], extra: dict[str, Any]) -> Any:
        comments = props.get("comments") or "Test failover cleanup by the migration lifecycle"
        return models.TestFailoverCleanupInput(properties=models.TestFailoverCleanupInputProperties(comments=comments))


class FailoverProvider(_ItemActionProvider):
    """Unplanned failover of one item to Azure, after the tested-recently guard and the optional EC2 stop."""

    kind = "failover"
    operation = "UnplannedFailover"
    scenarios = frozenset({"unplannedfailover"})
    begin = "begin_unplanned_failover"

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = super().check(olds, news)
        failures = list(result.failures or [])
        if news.get("shutdown_source") and not (news.get("instance_id") and news.get("aws_region")):
            failures.append(
                CheckFailure("instance_id", "instance_id and aws_region are needed when shutdown_source is set")
            )
        return CheckResult(news, failures)

    def already_done(self, item: Any) -> str | None:
        active = item.properties.active_location or ""
        return "AlreadyDone" if active == "Recovery" or "CompleteMigration" in _allowed(item) else None

    def guard(self, props: dict[str, Any], item: Any, what: str) -> None:
        problem = test_failover_guard(
            item,
            props.get("machine_name") or props["protected_item_name"],
            float(props.get("test_failover_max_age_days") or 7),
            props.get("skip_test_failover_reason"),
            datetime.now(timezone.utc),
        )
        if problem:
            raise ActionRefusedError(f"{self.kind} refused: {problem}")

    def before(self, props: dict[str, Any], client: Any, coordinates: tuple[str, str, str, str, str]) -> dict[str, Any]:
        point = resolve_item_recovery_point(client, coordinates, props.get("recovery_point") or "latest")
        stop = (
            stop_source_instances([props["instance_id"]], props["aws_region"]) if props.get("shutdown_source") else None
        )
        return {
            "recovery_point_used": point,
            "source_stop": stop,
            "skip_test_failover_reason": props.get("skip_test_failover_reason"),
        }

    def body(self, props: dict[str, Any], extra: dict[str, Any]) -> Any:
        shutdown = bool(props.get("shutdown_source"))
        point_id = extra["recovery_point_used"]["id"]
        specific: Any = (
            models.InMageRcmUnplannedFailoverInput(
                perform_shutdown="true" if shutdown else "false", recovery_point_id=point_id
            )
            if props["architecture"] == "modernized"
            else models.InMageAzureV2UnplannedFailoverInput(recovery_point_id=point_id)
        )
        return models.UnplannedFailoverInput(
            properties=models.UnplannedFailoverInputProperties(
                failover_direction="PrimaryToRecovery",
                source_site_operations="Required" if shutdown else "NotRequired",
                provider_specific_details=specific,
            )
        )

    def details(self, props: dict[str, Any], item: Any, extra: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "skip_test_failover_reason": props.get("skip_test_failover_reason"),
            **(extra or {}),
            "vm_id": _vm_ids(item)[1],
        }


class CompleteMigrationProvider(_ItemActionProvider):
    """Complete migration: POST /remove with `disableProtectionReason: MigrationComplete` (never Commit, never purge)."""

    kind = "complete migration"
    operation = "CompleteMigration"
    scenarios = frozenset({"disabledr", "completemigration"})
    begin = "begin_delete"  # the SDK's name for POST .../remove (begin_purge is the DELETE, never used)

    def item_missing(self, props: dict[str, Any], what: str) -> dict[str, Any]:
        # After a successful remove the item is gone: a rerun (for example after a crash) finds nothing to do.
        return {"result": "AlreadyDone", "ended_at": _now()}

    def body(self, props: dict[str, Any], extra: dict[str, Any]) -> Any:
        return models.DisableProtectionInput(
            properties=models.DisableProtectionInputProperties(
                disable_protection_reason="MigrationComplete",
                replication_provider_input=models.DisableProtectionProviderSpecificInput(
                    instance_type="DisableProtectionProviderSpecificInput"
                ),
            )
        )

    def details(self, props: dict[str, Any], item: Any, extra: dict[str, Any] | None) -> dict[str, Any]:
        return {"vm_id": _vm_ids(item)[1]}


# ---- per recovery plan -----------------------------------------------------------------------------------


class _PlanActionProvider(_ActionProvider):
    """A recovery plan action: one ASR job for every machine of the wave."""

    target_keys = _PLAN_KEYS
    operation = ""
    scenarios: frozenset[str] = frozenset()
    begin = ""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = super().check(olds, news)
        failures = list(result.failures or [])
        machines = news.get("machines")
        if not isinstance(machines, list) or not machines:
            failures.append(CheckFailure("machines", "machines: must list the plan's machines"))
        point = news.get("recovery_point")
        if (
            isinstance(point, str)
            and not recovery_point_rule(point)
            and point not in ("latest", "latestProcessed", "latestAppConsistent")
        ):
            failures.append(
                CheckFailure("recovery_point", f"recovery_point: {point!r} a recovery plan takes no custom time")
            )
        return CheckResult(news, failures)

    def run(self, props: dict[str, Any]) -> dict[str, Any]:
        rg, vault, plan_name = props["resource_group_name"], props["vault_name"], props["recovery_plan_name"]
        what = f"recovery plan {plan_name}: {self.kind}"
        subscription = resolve_subscription_id(props.get("subscription_id"))
        with site_recovery_client(subscription) as client:

            def get_plan() -> Any:
                return client.replication_recovery_plans.get(rg, vault, plan_name)

            plan = get_plan()
            items = self._read_items(client, props)
            running = _running_job(client, rg, vault, plan)
            if running is not None:
                job_name, scenario, started = running
                if scenario.lower() not in self.scenarios:
                    raise ActionRefusedError(
                        f"{what}: ASR job {job_name} ({scenario}) is running on the plan; wait for it to end"
                    )
                pulumi.log.info(f"{what}: attaching to the running ASR job {job_name} instead of starting another")
                _follow(client, props, job_name, what)
                return {
                    **self.details(props, items, None),
                    **self._audit(subscription, props, job_name, started, "Attached"),
                }
            done = self.already_done(items)
            if done:
                return {**self.details(props, items, None), "result": done, "ended_at": _now()}
            allowed = _allowed(plan)
            if self.operation not in allowed:
                raise ActionRefusedError(
                    f"{what}: ASR does not allow {self.operation} on the plan now (allowedOperations: {', '.join(allowed) or 'none'})"
                )
            self.guard(props, items, what)
            extra = self.before(props)
            started = _now()
            job_name = start_job(
                client,
                getattr(client.replication_recovery_plans, self.begin),
                rg,
                vault,
                plan_name,
                self.body(props),
                get_item=get_plan,
            )
            _follow(client, props, job_name, what)
            return {
                **self.details(props, items, extra),
                **self._audit(subscription, props, job_name, started, "Succeeded"),
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
        if props["architecture"] == "modernized":
            return [models.RecoveryPlanInMageRcmFailoverInput(recovery_point_type=kind)]
        return [models.RecoveryPlanInMageAzureV2FailoverInput(recovery_point_type=kind)]

    def details(self, props: dict[str, Any], items: dict[str, Any], extra: dict[str, Any] | None) -> dict[str, Any]:
        point = {
            "requested": props.get("recovery_point") or "latest",
            "type": plan_recovery_point_type(props.get("recovery_point") or "latest"),
        }
        return {
            "recovery_point_used": point,
            **(extra or {}),
            "items": {name: self.item_record(item) for name, item in items.items()},
        }

    def item_record(self, item: Any) -> dict[str, Any]:
        return {"item_id": item.id}


class PlanTestFailoverProvider(_PlanActionProvider):
    __test__ = False
    kind = "test failover"
    operation = "TestFailover"
    scenarios = frozenset({"testfailover"})
    begin = "begin_test_failover"
    required = ("test_network_id",)

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
        return {"item_id": item.id, "test_vm_id": _vm_ids(item)[0]}


class PlanTestFailoverCleanupProvider(_PlanActionProvider):
    __test__ = False
    kind = "test failover cleanup"
    operation = "TestFailoverCleanup"
    scenarios = frozenset({"testfailovercleanup", "cleanuptestfailover"})
    begin = "begin_test_failover_cleanup"

    def already_done(self, items: dict[str, Any]) -> str | None:
        clean = all((i.properties.test_failover_state or "") in NO_TEST_STATES for i in items.values())
        return "NothingToCleanUp" if clean else None

    def details(self, props: dict[str, Any], items: dict[str, Any], extra: dict[str, Any] | None) -> dict[str, Any]:
        return {"items": {name: {"item_id": item.id} for name, item in items.items()}}

    def body(self, props: dict[str, Any]) -> Any:
        comments = props.get("comments") or "Test failover cleanup by the migration lifecycle"
        return models.RecoveryPlanTestFailoverCleanupInput(
            properties=models.RecoveryPlanTestFailoverCleanupInputProperties(comments=comments)
        )


class PlanFailoverProvider(_PlanActionProvider):
    kind = "failover"
    operation = "UnplannedFailover"
    scenarios = frozenset({"unplannedfailover"})
    begin = "begin_unplanned_failover"

    def already_done(self, items: dict[str, Any]) -> str | None:
        failed_over = all((i.properties.active_location or "") == "Recovery" for i in items.values())
        return "AlreadyDone" if failed_over else None

    def guard(self, props: dict[str, Any], items: dict[str, Any], what: str) -> None:
        now = datetime.now(timezone.utc)
        max_age = float(props.get("test_failover_max_age_days") or 7)
        problems = [
            problem
            for machine in props["machines"]
            if (
                problem := test_failover_guard(
                    items[machine["machine_name"]],
                    machine["machine_name"],
                    max_age,
                    machine.get("skip_test_failover_reason"),
                    now,
                )
            )
        ]
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
            stop = stop_source_instances([m["instance_id"] for m in props["machines"]], props["aws_region"])
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
        return {"item_id": item.id, "vm_id": _vm_ids(item)[1]}


# ---- the resources -------------------------------------------------------------------------------------


def _declare(
    resource: Resource,
    provider: ResourceProvider,
    name: str,
    inputs: dict[str, Any],
    opts: pulumi.ResourceOptions | None,
) -> None:
    Resource.__init__(
        resource,
        provider,
        name,
        {**dict.fromkeys(OUTPUT_KEYS), **inputs, "version": inputs.get("version") or PROVIDER_VERSION},
        opts,
    )


class TestFailover(Resource, module="asr", name="TestFailover"):
    """Test failover of one protected item (inputs: see `TestFailoverProvider`); outputs: the audit trail."""

    __test__ = False
    result: pulumi.Output[str]
    job_id: pulumi.Output[str]

    def __init__(self, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        _declare(self, TestFailoverProvider(), name, inputs, opts)


class TestFailoverCleanup(Resource, module="asr", name="TestFailoverCleanup"):
    __test__ = False
    result: pulumi.Output[str]

    def __init__(self, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        _declare(self, TestFailoverCleanupProvider(), name, inputs, opts)


class Failover(Resource, module="asr", name="Failover"):
    result: pulumi.Output[str]
    vm_id: pulumi.Output[str]

    def __init__(self, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        _declare(self, FailoverProvider(), name, inputs, opts)


class CompleteMigration(Resource, module="asr", name="CompleteMigration"):
    result: pulumi.Output[str]
    vm_id: pulumi.Output[str]

    def __init__(self, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        _declare(self, CompleteMigrationProvider(), name, inputs, opts)


class PlanTestFailover(Resource, module="asr", name="PlanTestFailover"):
    __test__ = False
    result: pulumi.Output[str]

    def __init__(self, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        _declare(self, PlanTestFailoverProvider(), name, inputs, opts)


class PlanTestFailoverCleanup(Resource, module="asr", name="PlanTestFailoverCleanup"):
    __test__ = False
    result: pulumi.Output[str]

    def __init__(self, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        _declare(self, PlanTestFailoverCleanupProvider(), name, inputs, opts)


class PlanFailover(Resource, module="asr", name="PlanFailover"):
    result: pulumi.Output[str]

    def __init__(self, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        _declare(self, PlanFailoverProvider(), name, inputs, opts)


ACTION_TYPES: dict[str, Callable[..., Resource]] = {
    cls.__name__: cls
    for cls in (
        TestFailover,
        TestFailoverCleanup,
        Failover,
        CompleteMigration,
        PlanTestFailover,
        PlanTestFailoverCleanup,
        PlanFailover,
    )
}
