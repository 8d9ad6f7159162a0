"""The wave's lifecycle actions as dynamic resources: one resource per wave and action, its machines an input.

`WaveTestFailover`, `WaveTestFailoverCleanup`, `WaveFailover` and `WaveCompleteMigration` (type tokens
`pulumi-python:dynamic/asr:<Class>`) each run one action (`components.asr.lifecycle_actions`, by the protocol of
`components.asr.action_protocol`) on every machine of their `machines` input, up to `max_concurrency` at once, inside one Create or Update call. The engine's
dynamic-provider plugin serves a whole stack with four gRPC worker threads, each held until its call
returns (`pulumi/dynamic/__main__.py`); one resource per machine that waits for its ASR job would run four
machines at a time, whatever `maxConcurrency` says. Fanning out inside one call, a wave phase takes one job's
time (docs/lifecycle.md, "How the actions run").

Outputs: the inputs plus `results`, machine -> its audit record (`action_protocol`). A machine's failure does
not stop the others: its record says `Failed` (the job failed, or could not be followed) or `Refused`
(nothing was sent), with the error, and `WaveOutcome` (components/lifecycle.py) then fails the `pulumi up`
with every failed machine and what to do.

Idempotence and re-runs:
* `create` runs every machine; `update` runs only the machines of `machines` that have no successful record
  (new machines, and failed ones: rerunning `pulumi up` retries exactly those). Machines no longer listed are
  dropped from `results`; nothing is undone for them.
* `diff` asks for an update when a listed machine has no successful record, or when `machines` changed; it
  replaces only when the vault changes (known values only: an input not known in preview is an update, never
  a replacement). In preview, nothing runs.
* Every machine's action reads the item first and attaches to a running job of its kind, so a crash between
  a POST and its job's end never leads to a second POST. ASR's own state is the source of truth on re-run.
* Delete (also `pulumi destroy`) only forgets the records: nothing is undone, cancelled or purged.

The provider objects hold no client or credential: each call builds one client, shared by its threads, and one
`jobs.JobWatcher` that follows all of the call's jobs with one list request per poll.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CreateResult, DiffResult, Resource, UpdateResult

from components.asr import console
from components.asr.action_inputs import ENTRY_KEYS, SHARED_KEYS, ActionInputs
from components.asr.action_protocol import Action, ActionRefusedError, run_action
from components.asr.arm import resolve_subscription_id, site_recovery_client, vault_path
from components.asr.checks import is_unknown, required_strings
from components.asr.clock import now
from components.asr.jobs import JobWatcher
from components.asr.lifecycle_actions import (
    CompleteMigrationAction,
    FailoverAction,
    TestFailoverAction,
    TestFailoverCleanupAction,
)
from components.asr.provider import DeclaredInputsProvider
from components.asr.recovery_points import recovery_point_rule
from components.asr.targets import ItemTarget, list_items
from components.migration_facts import DONE_RESULTS

PROVIDER_VERSION = "2"


def pending_machines(olds: dict[str, Any], machines: dict[str, Any]) -> list[str]:
    """The machines of `machines` without a successful record in the previous `results`."""
    results = olds.get("results") or {}
    return [name for name in machines if (results.get(name) or {}).get("result") not in DONE_RESULTS]


def failed_record(error: BaseException) -> dict[str, Any]:
    return {
        "result": "Refused" if isinstance(error, ActionRefusedError) else "Failed",
        "error": str(error),
        "job_name": getattr(error, "job_name", None),
        "ended_at": now(),
    }


class WaveActionProvider(DeclaredInputsProvider):
    """One action on many machines; a subclass sets `action` (an `action_protocol.Action`)."""

    action: Action = Action()
    required: tuple[str, ...] = ("resource_group_name", "vault_name")
    replacing = ("subscription_id", "resource_group_name", "vault_name")
    updating = ("machines", "version")

    def validate(self, news: dict[str, Any]) -> list[CheckFailure]:
        failures = self.action.validate(news)
        point = news.get("recovery_point")
        if point is not None and not is_unknown(point) and (not isinstance(point, str) or recovery_point_rule(point)):
            failures.append(
                CheckFailure("recovery_point", f"recovery_point: {point!r} {recovery_point_rule(str(point))}")
            )
        machines = news.get("machines")
        if is_unknown(machines) and not isinstance(machines, dict):
            return failures
        if not isinstance(machines, dict) or not machines:
            return [
                *failures,
                CheckFailure("machines", f"machines: {machines!r} must map machine names to their items"),
            ]
        for name, entry in machines.items():
            if not isinstance(entry, dict):
                failures.append(CheckFailure("machines", f"machines.{name}: {entry!r} must be a mapping"))
                continue
            for failure in required_strings(entry, (*ENTRY_KEYS, *self.action.machine_keys(news))):
                failures.append(CheckFailure("machines", f"machines.{name}.{failure.reason}"))
        return failures

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        declared = super().diff(id_, olds, news)
        machines = news.get("machines")
        retry = isinstance(machines, dict) and bool(self.todo(olds, machines))
        return DiffResult(
            changes=bool(declared.changes) or retry, replaces=declared.replaces, delete_before_replace=False
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        subscription = resolve_subscription_id(props.get("subscription_id"))
        results = self.run_machines(props, dict(props["machines"]))
        resource_id = (
            f"{vault_path(subscription, props['resource_group_name'], props['vault_name'])}/{self.action.kind}"
        )
        return CreateResult(resource_id, {**props, "results": results})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        machines: dict[str, Any] = dict(news["machines"])
        todo = self.todo(olds, machines)
        kept = {
            name: record
            for name, record in (olds.get("results") or {}).items()
            if name in machines and name not in todo
        }
        ran = self.run_machines(news, {name: machines[name] for name in todo})
        return UpdateResult({**news, "results": {**kept, **ran}})

    def todo(self, olds: dict[str, Any], machines: dict[str, Any]) -> list[str]:
        """The machines an update runs: those of `machines` without a successful record."""
        return pending_machines(olds, machines)

    def run_machines(self, props: dict[str, Any], machines: dict[str, Any]) -> dict[str, Any]:
        """Run the action on `machines`, at most `max_concurrency` at once; a record per machine."""
        if not machines:
            return {}
        workers = max(1, min(int(props.get("max_concurrency") or 10), len(machines)))
        subscription = resolve_subscription_id(props.get("subscription_id"))
        inputs = ActionInputs.from_props(props)
        rg, vault = inputs.resource_group_name, inputs.vault_name
        shared = {key: getattr(inputs, key) for key in SHARED_KEYS}
        with site_recovery_client(subscription, pool_size=workers) as client, ThreadPoolExecutor(workers) as pool:
            watcher = JobWatcher(client, subscription, rg, vault)
            listed = list_items(client, rg, vault, machines.values())
            futures = {
                name: pool.submit(
                    self._one, client, subscription, ItemTarget(client, {**shared, **entry, "machine_name": name}, listed),
                    watcher,
                )
                for name, entry in sorted(machines.items())
            }  # fmt: skip
            return {name: future.result() for name, future in futures.items()}

    def _one(self, client: Any, subscription: str, target: ItemTarget, watcher: JobWatcher) -> dict[str, Any]:
        try:
            return run_action(self.action, target, client, subscription, watcher)
        except Exception as error:  # recorded: one machine's failure never loses or blocks the others
            console.warn(f"{target.name}: {self.action.kind} did not succeed: {error}")
            return failed_record(error)


class WaveTestFailoverProvider(WaveActionProvider):
    __test__ = False
    action = TestFailoverAction()


class WaveTestFailoverCleanupProvider(WaveActionProvider):
    __test__ = False
    action = TestFailoverCleanupAction()


class WaveFailoverProvider(WaveActionProvider):
    action = FailoverAction()


class WaveCompleteMigrationProvider(WaveActionProvider):
    action = CompleteMigrationAction()


def declare(resource: Resource, provider: WaveActionProvider, name: str, inputs: ActionInputs, opts: Any) -> None:
    """Register a wave action resource: `results` an output, the provider code's `version` an input."""
    Resource.__init__(
        resource, provider, name, {"results": None, **inputs.to_props(), "version": PROVIDER_VERSION}, opts
    )


class WaveTestFailover(Resource, module="asr", name="WaveTestFailover"):
    """Test failover of the wave's machines (see the module docstring); `results`: machine -> record."""

    __test__ = False
    results: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, inputs: ActionInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        declare(self, WaveTestFailoverProvider(), name, inputs, opts)


class WaveTestFailoverCleanup(Resource, module="asr", name="WaveTestFailoverCleanup"):
    __test__ = False
    results: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, inputs: ActionInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        declare(self, WaveTestFailoverCleanupProvider(), name, inputs, opts)


class WaveFailover(Resource, module="asr", name="WaveFailover"):
    results: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, inputs: ActionInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        declare(self, WaveFailoverProvider(), name, inputs, opts)


class WaveCompleteMigration(Resource, module="asr", name="WaveCompleteMigration"):
    results: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, inputs: ActionInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        declare(self, WaveCompleteMigrationProvider(), name, inputs, opts)
