"""One protected item's lifecycle actions: test failover, its cleanup, failover, complete migration.

`ItemAction.run(client, props)` runs one action on one item and returns its audit record. It is idempotent
and resumable, so the wave-level resources (`components.asr.wave_actions`) can run it again after any crash:

1. Read the item first. If an ASR job of this action is running on it (`currentScenario`), attach to it and
   wait: a `pulumi up` that died after the POST never sends a second failover. A running job of another
   kind refuses the action and names that job.
2. If the item already is where the action leads (a test failover waits for cleanup, the item is failed
   over, the item is gone after complete migration), record `AlreadyDone` (or `NothingToCleanUp`).
3. Check `allowedOperations` and the action's guard (failover: a recent, cleaned-up test failover); refuse
   with the reason if either says no. Nothing is sent.
4. Only then send the POST (`jobs.start_job`, which never replays it blindly) and follow the job it
   verified as this action's (`jobs.wait_for_job`).

Records: `job_name`, `job_id`, `started_at`, `ended_at`, `result` (`Succeeded`, `Attached`, `AlreadyDone`,
`NothingToCleanUp`), `recovery_point_used`, `test_vm_id` / `vm_id`, `source_stop`, `skip_test_failover_reason`.
Props: the wave's (`resource_group_name`, `vault_name`, `architecture`, `recovery_point`, `test_network_id`,
`test_failover_max_age_days`, `shutdown_source`, `aws_region`, `comments`) and the machine's (`machine_name`,
`fabric_name`, `container_name`, `protected_item_name`, `instance_id`, `skip_test_failover_reason`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.recoveryservicessiterecovery import models

from components.asr import console
from components.asr.arm import vault_path
from components.asr.jobs import (
    RUNNING_STATES,
    ActionStartedError,
    AsrJobError,
    AsrJobNotFoundError,
    AsrJobTimeoutError,
    JobMatch,
    JobWatcher,
    job_name_from_item,
    log_progress,
    start_job,
    wait_for_job,
)
from components.asr.provider_inputs import provider_inputs
from components.asr.recovery_points import resolve_item_recovery_point
from components.aws.ec2 import SourceStopError, stop_source_instances
from components.errors import MigrationError

NO_TEST_STATES = frozenset({"", "None"})
DEFAULT_CLEANUP_COMMENTS = "Test failover cleanup by the migration lifecycle"


class ActionRefusedError(MigrationError, RuntimeError):
    """ASR (or a lifecycle guard) would not allow the action now; nothing was sent."""


class LifecycleActionError(MigrationError, RuntimeError):
    """An action's ASR job failed, was suspended or timed out, or could not be followed after it started."""

    def __init__(self, message: str, job_name: str | None = None) -> None:
        super().__init__(message)
        self.job_name = job_name


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def job_id(subscription_id: str, rg: str, vault: str, job_name: str) -> str:
    return f"{vault_path(subscription_id, rg, vault)}/replicationJobs/{job_name}"


def props_of(target: Any) -> Any:
    return target.properties if target is not None else None


def allowed_operations(target: Any) -> list[str]:
    properties = props_of(target)
    return list((properties.allowed_operations if properties is not None else None) or [])


def running_job(client: Any, rg: str, vault: str, target: Any) -> tuple[str, str, str | None] | None:
    """(job name, scenario name, start time) of the ASR job running on an item or plan, else None."""
    properties = props_of(target)
    scenario = properties.current_scenario if properties is not None else None
    name = job_name_from_item(target)
    if scenario is None or name is None:
        return None
    job = client.replication_jobs.get(rg, vault, name)
    state = job.properties.state if job.properties is not None else None
    start = scenario.start_time.isoformat() if scenario.start_time is not None else None
    return (name, scenario.scenario_name or "", start) if state in RUNNING_STATES else None


def follow(client: Any, rg: str, vault: str, job_name: str, what: str, watcher: JobWatcher | None = None) -> None:
    """Wait for an action's job (through `watcher` when many are followed at once); any failure says the action
    started, names the job and whether a rerun is safe."""
    progress = log_progress(what)
    try:
        if watcher is not None:
            watcher.wait(job_name, progress=progress)
        else:
            wait_for_job(client, rg, vault, job_name, progress=progress)
    except (AsrJobError, AsrJobTimeoutError, AsrJobNotFoundError) as error:
        raise LifecycleActionError(f"{what}: {error}", job_name) from error
    except Exception as error:  # a malformed answer, a dropped connection while polling, ...
        raise LifecycleActionError(
            f"{what}: ASR job {job_name} was started, but following it failed ({error}). The job goes on in ASR;"
            " rerunning `pulumi up` is safe: it reads the item first and attaches to the job.",
            job_name,
        ) from error


def vm_ids(item: Any) -> tuple[str | None, str | None]:
    """(test failover VM id, failed-over VM id), derived from the item's target settings.

    ASR names the test failover VM `<target VM name>-test` in the target resource group.
    """
    properties = props_of(item)
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
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def test_failover_guard(
    item: Any, machine: str, max_age_days: float, skip_reason: str | None, at: datetime
) -> str | None:
    """Why a failover of `item` must wait, or None: a successful, cleaned-up test failover within the age limit."""
    if skip_reason:
        return None
    properties = props_of(item)
    tested = properties.last_successful_test_failover_time if properties is not None else None
    state = (properties.test_failover_state if properties is not None else None) or ""
    if state not in NO_TEST_STATES or "TestFailoverCleanup" in allowed_operations(item):
        return f"{machine}: its test failover is not cleaned up yet (testFailoverState {state!r}); move it to phase 'tested' first"
    if tested is None:
        return (
            f"{machine}: has no successful test failover; run phases test and tested first, or set"
            " machines[].skipTestFailover to the reason it is skipped"
        )
    age = at - _as_utc(tested)
    if age > timedelta(days=max_age_days):
        return (
            f"{machine}: its last successful test failover ({_as_utc(tested).isoformat()}) is {age.days} days old,"
            f" more than lifecycle.testFailoverMaxAgeDays ({max_age_days:g}); test it again or set"
            " machines[].skipTestFailover to the reason"
        )
    return None


class ItemAction:
    """One kind of action on one protected item; subclasses say what differs (see the module docstring)."""

    kind = "action"
    operation = ""  # the allowedOperations entry ASR must list ("": none; the guard decides)
    scenarios: frozenset[str] = frozenset()  # lower-case scenario names of this action's jobs

    def begin(self, client: Any) -> Callable[..., Any]:
        raise NotImplementedError

    def run(
        self,
        client: Any,
        subscription: str,
        props: dict[str, Any],
        watcher: JobWatcher | None = None,
        listed: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Run the action on one item. `listed`: the item's container as listed just before (item name, lower
        case -> item), so a wave reads its items in one paged request instead of one GET each."""
        machine = props.get("machine_name") or props["protected_item_name"]
        what = f"{machine}: {self.kind}"
        rg, vault = props["resource_group_name"], props["vault_name"]
        coordinates = (rg, vault, props["fabric_name"], props["container_name"], props["protected_item_name"])

        def get_item() -> Any:
            return client.replication_protected_items.get(*coordinates)

        try:
            item = listed.get(props["protected_item_name"].lower()) if listed is not None else get_item()
            if item is None:
                raise ResourceNotFoundError(f"{props['protected_item_name']} is not listed in its container")
        except ResourceNotFoundError:
            return self.item_missing(props, what)
        running = running_job(client, rg, vault, item)
        if running is not None:
            name, scenario, started = running
            if scenario.lower() not in self.scenarios:
                raise ActionRefusedError(
                    f"{what}: ASR job {name} ({scenario}) is running on the item; wait for it to end, then run"
                    " `pulumi up` again"
                )
            console.info(f"{what}: attaching to the running ASR job {name} instead of starting another")
            follow(client, rg, vault, name, what, watcher)
            return {**self.details(props, item, None), **_audit(subscription, props, name, started, "Attached")}
        done = self.already_done(item, props)
        if done:
            return {**self.details(props, item, None), "result": done, "ended_at": now()}
        allowed = allowed_operations(item)
        if self.operation and self.operation not in allowed:
            raise ActionRefusedError(
                f"{what}: ASR does not allow {self.operation} on item {props['protected_item_name']} now"
                f" (allowedOperations: {', '.join(allowed) or 'none'}; protectionState:"
                f" {item.properties.protection_state}; testFailoverState: {item.properties.test_failover_state})"
            )
        self.guard(props, item, what)
        extra = self.before(props, client, coordinates, item)
        started = now()
        match = JobMatch(self.scenarios, (item.name or "", item.properties.friendly_name or ""))
        try:
            name = start_job(
                client, self.begin(client), *coordinates, self.body(props, extra),
                get_item=get_item, match=match, what=what, watcher=watcher,
            )  # fmt: skip
        except ActionStartedError as error:
            raise LifecycleActionError(f"{what}: {error}") from error
        follow(client, rg, vault, name, what, watcher)
        return {**self.details(props, item, extra), **_audit(subscription, props, name, started, "Succeeded")}

    def item_missing(self, props: dict[str, Any], what: str) -> dict[str, Any]:
        raise ActionRefusedError(
            f"{what}: protected item {props['protected_item_name']} was not found in vault {props['vault_name']}"
        )

    def already_done(self, item: Any, props: dict[str, Any]) -> str | None:
        return None

    def guard(self, props: dict[str, Any], item: Any, what: str) -> None:
        return None

    def before(
        self, props: dict[str, Any], client: Any, coordinates: tuple[str, str, str, str, str], item: Any
    ) -> dict[str, Any]:
        """Work done right before the POST (recovery point choice, EC2 stop); its result goes into the record."""
        return {}

    def body(self, props: dict[str, Any], extra: dict[str, Any]) -> Any:
        raise NotImplementedError

    def details(self, props: dict[str, Any], item: Any, extra: dict[str, Any] | None) -> dict[str, Any]:
        return dict(extra or {})


def _audit(subscription: str, props: dict[str, Any], name: str, started: str | None, result: str) -> dict[str, Any]:
    return {
        "job_name": name,
        "job_id": job_id(subscription, props["resource_group_name"], props["vault_name"], name),
        "started_at": started,
        "ended_at": now(),
        "result": result,
    }


class TestFailoverAction(ItemAction):
    """Test failover of one item into the isolated test network."""

    __test__ = False  # not a pytest class
    kind = "test failover"
    operation = "TestFailover"
    scenarios = frozenset({"testfailover"})

    def begin(self, client: Any) -> Callable[..., Any]:
        return client.replication_protected_items.begin_test_failover  # type: ignore[no-any-return]

    def already_done(self, item: Any, props: dict[str, Any]) -> str | None:
        state = item.properties.test_failover_state or ""
        return (
            "AlreadyDone" if state not in NO_TEST_STATES or "TestFailoverCleanup" in allowed_operations(item) else None
        )

    def before(
        self, props: dict[str, Any], client: Any, coordinates: tuple[str, str, str, str, str], item: Any
    ) -> dict[str, Any]:
        return {
            "recovery_point_used": resolve_item_recovery_point(
                client, coordinates, props.get("recovery_point") or "latest"
            )
        }

    def body(self, props: dict[str, Any], extra: dict[str, Any]) -> Any:
        point_id = extra["recovery_point_used"]["id"]
        specific = provider_inputs(props["architecture"]).test_failover(point_id, props["test_network_id"])
        return models.TestFailoverInput(
            properties=models.TestFailoverInputProperties(
                failover_direction="PrimaryToRecovery",
                network_type="VmNetworkAsInput",
                network_id=props["test_network_id"],
                provider_specific_details=specific,
            )
        )

    def details(self, props: dict[str, Any], item: Any, extra: dict[str, Any] | None) -> dict[str, Any]:
        return {**(extra or {}), "test_vm_id": vm_ids(item)[0]}


class TestFailoverCleanupAction(ItemAction):
    """Clean up one item's test failover (deletes the test VM); `NothingToCleanUp` when none is pending."""

    __test__ = False
    kind = "test failover cleanup"
    operation = "TestFailoverCleanup"
    scenarios = frozenset({"testfailovercleanup", "cleanuptestfailover"})

    def begin(self, client: Any) -> Callable[..., Any]:
        return client.replication_protected_items.begin_test_failover_cleanup  # type: ignore[no-any-return]

    def item_missing(self, props: dict[str, Any], what: str) -> dict[str, Any]:
        return {"result": "NothingToCleanUp", "ended_at": now()}

    def already_done(self, item: Any, props: dict[str, Any]) -> str | None:
        state = item.properties.test_failover_state or ""
        clean = state in NO_TEST_STATES and "TestFailoverCleanup" not in allowed_operations(item)
        return "NothingToCleanUp" if clean else None

    def body(self, props: dict[str, Any], extra: dict[str, Any]) -> Any:
        comments = props.get("comments") or DEFAULT_CLEANUP_COMMENTS
        return models.TestFailoverCleanupInput(properties=models.TestFailoverCleanupInputProperties(comments=comments))

    def details(self, props: dict[str, Any], item: Any, extra: dict[str, Any] | None) -> dict[str, Any]:
        return {"comments": props.get("comments") or DEFAULT_CLEANUP_COMMENTS}


class FailoverAction(ItemAction):
    """Unplanned failover of one item to Azure, after the tested-recently guard and the optional EC2 stop."""

    kind = "failover"
    operation = "UnplannedFailover"
    scenarios = frozenset({"unplannedfailover"})

    def begin(self, client: Any) -> Callable[..., Any]:
        return client.replication_protected_items.begin_unplanned_failover  # type: ignore[no-any-return]

    def already_done(self, item: Any, props: dict[str, Any]) -> str | None:
        active = item.properties.active_location or ""
        return "AlreadyDone" if active == "Recovery" or "CompleteMigration" in allowed_operations(item) else None

    def guard(self, props: dict[str, Any], item: Any, what: str) -> None:
        problem = test_failover_guard(
            item,
            props.get("machine_name") or props["protected_item_name"],
            float(props.get("test_failover_max_age_days") or 7),
            props.get("skip_test_failover_reason"),
            datetime.now(UTC),
        )
        if problem:
            raise ActionRefusedError(f"{self.kind} refused: {problem}")

    def before(
        self, props: dict[str, Any], client: Any, coordinates: tuple[str, str, str, str, str], item: Any
    ) -> dict[str, Any]:
        point = resolve_item_recovery_point(client, coordinates, props.get("recovery_point") or "latest")
        stop = None
        if props.get("shutdown_source"):
            try:
                stop = stop_source_instances([props["instance_id"]], props["aws_region"])
            except SourceStopError as error:
                raise ActionRefusedError(str(error)) from error
        return {
            "recovery_point_used": point,
            "source_stop": stop,
            "skip_test_failover_reason": props.get("skip_test_failover_reason"),
        }

    def body(self, props: dict[str, Any], extra: dict[str, Any]) -> Any:
        shutdown = bool(props.get("shutdown_source"))
        point_id = extra["recovery_point_used"]["id"]
        specific = provider_inputs(props["architecture"]).failover(point_id, shutdown)
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
            "vm_id": vm_ids(item)[1],
        }


class CompleteMigrationAction(ItemAction):
    """Complete migration: POST /remove with `disableProtectionReason: MigrationComplete` (never Commit, never purge)."""

    kind = "complete migration"
    operation = "CompleteMigration"
    scenarios = frozenset({"disabledr", "completemigration"})

    def begin(self, client: Any) -> Callable[..., Any]:
        # The SDK's name for POST .../remove (begin_purge is the DELETE, never used).
        return client.replication_protected_items.begin_delete  # type: ignore[no-any-return]

    def item_missing(self, props: dict[str, Any], what: str) -> dict[str, Any]:
        # After a successful remove the item is gone: a rerun (for example after a crash) finds nothing to do.
        return {"result": "AlreadyDone", "ended_at": now(), "vm_id": props.get("migrated_vm_id")}

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
        return {"vm_id": vm_ids(item)[1]}
