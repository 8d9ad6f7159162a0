"""The one protocol every lifecycle action follows, on a protected item or on a recovery plan.

An `Action` declares once what it is: the SDK method that starts it (`begin_<method>`, the same name on items
and on plans), the `allowedOperations` entry ASR must list, the scenario names of its jobs, when an item already
is where it leads, its guard, and its request body per kind of target. A target (`components.asr.targets`) is
what it runs on: one protected item, or a recovery plan and its items. `run_action` applies the protocol to
either, and is idempotent and resumable, so a wave can run it again after any crash:

1. Read the target. If an ASR job of this action is running on it (`currentScenario`), attach to it and wait: a
   `pulumi up` that died after the POST never sends a second one. A running job of another kind refuses the
   action and names that job.
2. If every item already is where the action leads, record that (`AlreadyDone`, `NothingToCleanUp`).
3. Check `allowedOperations` and the action's guard; refuse with the reason if either says no. Nothing is sent.
4. Only then do the work right before the request (the recovery point, the EC2 stop), send the POST once
   (`jobs.start_job`, which never replays it blindly) and follow the job it verified as this action's.

A record: `job_name`, `job_id`, `started_at`, `ended_at`, `result` (`Succeeded`, `Attached`, `AlreadyDone`,
`NothingToCleanUp`), and what the action and the target add (the recovery point used, the EC2 stop, the VMs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from pulumi.dynamic import CheckFailure

from components.architecture import PROVIDER_TYPES
from components.asr import console
from components.asr.arm import vault_path
from components.asr.checks import is_unknown, one_of, required_strings
from components.asr.clock import now
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
from components.aws.ec2 import SourceStopError, stop_source_instances
from components.errors import MigrationError


class ActionRefusedError(MigrationError, RuntimeError):
    """ASR (or a lifecycle guard) would not allow the action now; nothing was sent."""


class LifecycleActionError(MigrationError, RuntimeError):
    """An action's ASR job failed, was suspended or timed out, or could not be followed after it started."""

    def __init__(self, message: str, job_name: str | None = None) -> None:
        super().__init__(message)
        self.job_name = job_name


def props_of(target: Any) -> Any:
    return target.properties if target is not None else None


def allowed_operations(target: Any) -> list[str]:
    properties = props_of(target)
    return list((properties.allowed_operations if properties is not None else None) or [])


class Action:
    """One kind of lifecycle action; a subclass says what differs (see the module docstring).

    Methods that take `props` get one machine's: the wave's or plan's inputs with the machine's entry over them.
    """

    kind = "action"
    method = ""
    """`begin_<method>` of `client.replication_protected_items` (and of `client.replication_recovery_plans`)."""
    operation = ""
    """The allowedOperations entry ASR must list ("": ASR lists none; the guard and the service decide)."""
    scenarios: frozenset[str] = frozenset()
    """Lower-case scenario names of this action's jobs (none documented: the job must name its target)."""
    needs: tuple[str, ...] = ()
    """Inputs of the wave or plan this action cannot run without (non-empty strings)."""
    takes_recovery_point = False
    """Whether the action fails over to the wave's `recovery_point` (recorded as `recovery_point_used`)."""
    stops_source = False
    """Whether `shutdown_source` stops the machines' EC2 instances before the request."""
    guarded = False
    """Whether a machine may go only after a recent test failover, or with its `skip_test_failover_reason`."""
    on_plans = True
    """Whether a recovery plan can run it."""

    def machine_keys(self, news: Mapping[str, Any]) -> tuple[str, ...]:
        """Further keys each machine entry needs, given the wave's or plan's inputs."""
        return ("instance_id",) if self.stops_source and news.get("shutdown_source") is True else ()

    def validate(self, news: Mapping[str, Any]) -> list[CheckFailure]:
        """The checks of the inputs every target shares (known values only)."""
        failures = [*required_strings(news, self.needs), *one_of(news, "architecture", PROVIDER_TYPES)]
        region = news.get("aws_region")
        if self.stops_source and news.get("shutdown_source") is True and not is_unknown(region) and not region:
            failures.append(CheckFailure("aws_region", "aws_region: is needed when shutdown_source is set"))
        return failures

    def done(self, item: Any, props: dict[str, Any]) -> str | None:
        """The result word when `item` already is where the action leads, else None."""
        return None

    def missing(self, props: dict[str, Any]) -> dict[str, Any] | None:
        """The record when the machine's item is gone (None: the action is refused)."""
        return None

    def guard(self, item: Any, props: dict[str, Any]) -> str | None:
        """Why the action must wait for this item, or None."""
        return None

    def prepare(self, item: Any, props: dict[str, Any]) -> dict[str, Any]:
        """What an item's record keeps from the item as it was right before the request (item targets only)."""
        return {}

    def item_body(self, props: dict[str, Any], item: Any, extra: dict[str, Any]) -> Any:
        """The request body on one protected item; `extra` holds the recovery point used and `prepare`'s facts."""
        raise NotImplementedError

    def plan_body(self, props: dict[str, Any], extra: dict[str, Any]) -> Any:
        """The request body on a recovery plan."""
        raise NotImplementedError

    def notes(self, props: dict[str, Any]) -> dict[str, Any]:
        """What every record of the action says of its inputs."""
        return {}

    def vm_record(self, item: Any, props: dict[str, Any]) -> dict[str, Any]:
        """What a machine's record names of the VMs the action leads to."""
        return {}


class Target(Protocol):
    """What an action runs on (`components.asr.targets`): read, named, its items, how to begin an operation."""

    name: str
    """How messages name the target before the action (`web01`, `recovery plan rp1`)."""
    noun: str
    """How messages name the target's kind (`the item`, `the plan`)."""
    named: str
    """How messages name the target itself (`item web01`, `the plan`)."""
    props: dict[str, Any]

    def read(self) -> Any:
        """The item or plan as ASR showed it when the action began (the running job, `allowedOperations`); reads
        the target's items too. None: the item is gone."""

    def fetch(self) -> Any:
        """The item or plan as ASR shows it now (a GET), for `jobs.start_job` to look for the action's job."""

    def members(self) -> list[tuple[dict[str, Any], Any]]:
        """Each machine's props and item, as read."""

    def state(self) -> str:
        """More of the target's state for a refusal (`; protectionState: ...`), or ""."""

    def context(self, action: Action) -> dict[str, Any]:
        """What every record on this target says (the skip reasons, a plan's recovery point type)."""

    def before(self, action: Action, client: Any) -> dict[str, Any]:
        """The target's part of the work right before the request (the recovery point, the action's `prepare`)."""

    def begin(
        self, action: Action, client: Any, extra: dict[str, Any]
    ) -> tuple[Callable[..., Any], tuple[Any, ...], Any]:
        """The SDK's `begin_*`, the path after the vault, and the body of `action` on this target."""

    def vms(self, action: Action) -> dict[str, Any]:
        """The record's VMs (`action.vm_record` of its item, or `items` of a plan)."""


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


def run_action(
    action: Action, target: Target, client: Any, subscription: str, watcher: JobWatcher | None = None
) -> dict[str, Any]:
    """Run `action` on `target` once, by the protocol of the module docstring; its record."""
    props, what = target.props, f"{target.name}: {action.kind}"
    rg, vault = props["resource_group_name"], props["vault_name"]
    read = target.read()
    if read is None:
        gone = action.missing(props)
        if gone is None:
            raise ActionRefusedError(f"{what}: protected {target.named} was not found in vault {vault}")
        return {**gone, "ended_at": now()}

    def record(extra: dict[str, Any] | None = None) -> dict[str, Any]:
        return {**action.notes(props), **target.context(action), **(extra or {}), **target.vms(action)}

    def audit(name: str, started: str | None, result: str) -> dict[str, Any]:
        job_id = f"{vault_path(subscription, rg, vault)}/replicationJobs/{name}"
        return {"job_name": name, "job_id": job_id, "started_at": started, "ended_at": now(), "result": result}

    running = running_job(client, rg, vault, read)
    if running is not None:
        name, scenario, started = running
        if scenario.lower() not in action.scenarios:
            raise ActionRefusedError(
                f"{what}: ASR job {name} ({scenario}) is running on {target.noun}; wait for it to end, then"
                " run `pulumi up` again"
            )
        console.info(f"{what}: attaching to the running ASR job {name} instead of starting another")
        follow(client, rg, vault, name, what, watcher)
        return {**record(), **audit(name, started, "Attached")}
    members = target.members()
    done = {action.done(item, machine) for machine, item in members}
    if len(done) == 1 and None not in done:
        return {**record(), "result": done.pop(), "ended_at": now()}
    allowed = allowed_operations(read)
    if action.operation and action.operation not in allowed:
        raise ActionRefusedError(
            f"{what}: ASR does not allow {action.operation} on {target.named} now"
            f" (allowedOperations: {', '.join(allowed) or 'none'}{target.state()})"
        )
    problems = [problem for machine, item in members if (problem := action.guard(item, machine))]
    if problems:
        raise ActionRefusedError(
            f"{what} refused: {problems[0]}"
            if len(problems) == 1
            else f"{what} refused:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    extra = {**target.before(action, client), **_stop_sources(action, props, members)}
    started = now()
    begin, path, body = target.begin(action, client, {**target.context(action), **extra})
    match = JobMatch(action.scenarios, (read.name or path[-1], read.properties.friendly_name or ""))
    try:
        name = start_job(
            client, begin, rg, vault, *path, body, get_item=target.fetch, match=match, what=what, watcher=watcher
        )
    except ActionStartedError as error:
        raise LifecycleActionError(f"{what}: {error}") from error
    follow(client, rg, vault, name, what, watcher)
    return {**record(extra), **audit(name, started, "Succeeded")}


def _stop_sources(action: Action, props: dict[str, Any], members: list[tuple[dict[str, Any], Any]]) -> dict[str, Any]:
    """The EC2 stop before a failover that shuts the sources down (`source_stop`), refused if it cannot be done."""
    if not action.stops_source:
        return {}
    if not props.get("shutdown_source"):
        return {"source_stop": None}
    try:
        return {"source_stop": stop_source_instances([m["instance_id"] for m, _ in members], props["aws_region"])}
    except SourceStopError as error:
        raise ActionRefusedError(str(error)) from error
