"""Start an ASR action and follow its ASR job to the end.

Every ASR action (test failover, failover, commit, complete migration, enable replication, ...) answers 200
or 202 and runs as an ASR *job* under `.../vaults/{vault}/replicationJobs/{job}`. The job, not the ARM
long-running-operation status, is what the portal shows and what carries ASR's own error codes, causes and
recommended actions, so this module tracks the job:

* `start_job` sends the action once, with azure-core polling switched off, and finds the job's name robustly:
  the last segment of `Location` when present (what Azure PowerShell reads), else the last segment of
  `Azure-AsyncOperation` (what the official 2025-08-01 examples carry), else
  `properties.currentScenario.jobId` of the answer's body or of the item read back; whichever names it, the
  job is followed only once ASR shows it is this action's (`JobMatch`: scenario and target), in a GET or,
  when many jobs start at once, in a `JobWatcher` listing sent after the action was answered. An answer
  that leaves open whether the action took effect (5xx, a lost answer) is never replayed blindly: the item
  is read again and its job attached to.
* `wait_for_job` polls `replicationJobs/{job}` at the server's `Retry-After` (else a configured interval)
  until the job ends or the timeout passes, reporting progress through a callback.
* Job states map to outcomes: `Succeeded` returns; `Failed`, `Cancelled`, `Other` and unknown states raise
  `AsrJobError` with ASR's error code, message, possible causes and recommended action verbatim;
  `Suspended` raises `AsrJobSuspendedError`, which says how to resume the job.
"""

from __future__ import annotations

import functools
import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, cast
from urllib.parse import urlsplit

from azure.core.exceptions import DeserializationError, HttpResponseError, ResourceNotFoundError, ServiceResponseError
from azure.core.pipeline import PipelineResponse
from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient

from components.asr import console
from components.asr.arm import ASR_API_VERSION, list_json, load_settings, vault_path
from components.asr.clock import as_utc
from components.errors import MigrationError
from components.polling import poll_until

RUNNING_STATES = frozenset({"NotStarted", "InProgress"})


class JobOutcome(Enum):
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELLED = "Cancelled"
    SUSPENDED = "Suspended"
    UNKNOWN = "Unknown"


def outcome_for_state(state: str | None) -> JobOutcome | None:
    """The outcome of an ended job, or None while ASR still runs it (NotStarted, InProgress)."""
    if state in RUNNING_STATES:
        return None
    try:
        return JobOutcome(state)
    except ValueError:  # "Other", a missing state, or a state this code does not know
        return JobOutcome.UNKNOWN


@dataclass(frozen=True)
class AsrErrorDetail:
    """One entry of a job's `errors[]`, as ASR wrote it."""

    code: str
    message: str
    possible_causes: str
    recommended_action: str
    source: str  # "service" or "provider"
    task_id: str = ""

    def describe(self) -> str:
        lines = [f"[{self.code}] {self.message}" if self.code else self.message]
        if self.possible_causes:
            lines.append(f"  Possible causes: {self.possible_causes}")
        if self.recommended_action:
            lines.append(f"  Recommended action: {self.recommended_action}")
        return "\n".join(lines)


@dataclass(frozen=True)
class JobStatus:
    """A snapshot of an ASR job, as passed to progress callbacks and returned by `wait_for_job`."""

    name: str
    state: str
    state_description: str
    friendly_name: str
    target_object_name: str
    tasks_done: int
    tasks_total: int
    allowed_actions: tuple[str, ...] = ()
    errors: tuple[AsrErrorDetail, ...] = field(default=())

    @property
    def outcome(self) -> JobOutcome | None:
        return outcome_for_state(self.state)


class AsrJobError(MigrationError, RuntimeError):
    """An ASR job ended without success. Carries ASR's own error details verbatim in `errors`."""

    def __init__(self, job: JobStatus, resource_group_name: str, vault_name: str, hint: str = "") -> None:
        self.job = job
        self.errors = job.errors
        self.resource_group_name = resource_group_name
        self.vault_name = vault_name
        what = job.friendly_name or "ASR job"
        target = f" for {job.target_object_name}" if job.target_object_name else ""
        lines = [f"{what}{target} (job {job.name} in vault {vault_name}) ended {job.state}: {job.state_description}"]
        lines += [detail.describe() for detail in job.errors]
        if hint:
            lines.append(hint)
        super().__init__("\n".join(lines))


class AsrJobSuspendedError(AsrJobError):
    """ASR suspended the job and waits for someone to act; the message says how to resume it."""

    def __init__(self, job: JobStatus, resource_group_name: str, vault_name: str) -> None:
        allowed = f" (ASR allows: {', '.join(job.allowed_actions)})" if job.allowed_actions else ""
        hint = (
            f"ASR waits for a manual action{allowed}. Resume the job in the Azure portal (vault {vault_name} >"
            f" Site Recovery jobs > {job.name} > Resume), or with `az site-recovery job resume -g"
            f" {resource_group_name} --vault-name {vault_name} --job-name {job.name}`, or POST"
            f" .../vaults/{vault_name}/replicationJobs/{job.name}/resume; then run `pulumi up` again."
        )
        super().__init__(job, resource_group_name, vault_name, hint)


class AsrJobTimeoutError(MigrationError, TimeoutError):
    """The job was still running when the wait's timeout passed; it keeps running in ASR."""

    def __init__(self, job: JobStatus, vault_name: str, timeout: float) -> None:
        self.job = job
        super().__init__(
            f"{job.friendly_name or 'ASR job'} (job {job.name} in vault {vault_name}) is still {job.state}"
            f" ({job.state_description}) after {timeout:g} s. The job keeps running in ASR; run `pulumi up`"
            " again to wait for it, or raise ASR_JOB_TIMEOUT_SECONDS."
        )


class AsrJobNotFoundError(MigrationError, RuntimeError):
    """The action was sent but no ASR job could be identified for it."""


def job_name_from_id(job_id: str | None) -> str | None:
    """The last path segment of a job id or URL; None for no id and for ASR's placeholder job `None`."""
    if not job_id:
        return None
    segments = [segment for segment in urlsplit(job_id).path.split("/") if segment]
    if not segments or segments[-1] == "None":
        return None
    return segments[-1]


def job_name_from_item(item: Any) -> str | None:
    """`properties.currentScenario.jobId` of a protected item or recovery plan (SDK model or JSON dict)."""
    if item is None:
        return None
    properties = item.get("properties") if isinstance(item, Mapping) else getattr(item, "properties", None)
    if properties is None:
        return None
    scenario = properties.get("currentScenario") if isinstance(properties, Mapping) else properties.current_scenario
    if scenario is None:
        return None
    job_id = scenario.get("jobId") if isinstance(scenario, Mapping) else scenario.job_id
    return job_name_from_id(job_id)


@dataclass(frozen=True)
class JobMatch:
    """What a job must show to be taken as an action's own: its scenario and its target.

    `scenarios` are lower-case `scenarioName`s; `targets` the item's or plan's name and friendly name, compared
    case-insensitively with the job's `targetObjectId` and `targetObjectName` (no targets: the scenario decides).
    No `scenarios`: ASR documents no scenario name for the operation (a protection container's create and
    remove), so the job must show one of `targets` as its target. An answer's header is not proof: an official
    example's `Azure-AsyncOperation` names an unrelated job (azure-rest-api-specs, the
    recoveryservicessiterecovery 2025-08-01 test failover example).
    """

    scenarios: frozenset[str]
    targets: tuple[str, ...]

    def accepts(self, job: Mapping[str, Any]) -> bool:
        """Whether `job` (in its REST shape: an SDK `Job` model or a listed job's JSON) is the action's own."""
        properties = job.get("properties")
        if properties is None:
            return False
        if self.scenarios and (properties.get("scenarioName") or "").lower() not in self.scenarios:
            return False
        shown = {(properties.get(key) or "").lower() for key in ("targetObjectId", "targetObjectName")} - {""}
        wanted = {t.lower() for t in self.targets if t}
        if not self.scenarios:
            return bool(shown & wanted)
        return not wanted or not shown or bool(shown & wanted)


class ActionOutcomeUnknownError(MigrationError, RuntimeError):
    """The action request may or may not have taken effect, and ASR shows no job for it yet."""


class ActionStartedError(MigrationError, RuntimeError):
    """ASR accepted the action, but what came after (finding or reading its job) failed."""


# A request that failed this way may have reached ASR and started the action before its answer was lost.
_UNCERTAIN = (ServiceResponseError,)


def start_job(
    client: SiteRecoveryManagementClient,
    begin: Callable[..., Any],
    resource_group_name: str,
    vault_name: str,
    *args: Any,
    get_item: Callable[[], Any] | None = None,
    match: JobMatch | None = None,
    what: str = "the ASR action",
    watcher: JobWatcher | None = None,
    **kwargs: Any,
) -> str:
    """Send an ASR action once and return the name of the ASR job running it.

    `begin` is a `begin_*` method of `client` (for example
    `client.replication_protected_items.begin_test_failover`); it is called as
    `begin(resource_group_name, vault_name, *args, polling=False, **kwargs)`. `get_item` reads the item or
    plan the action works on; `match` says which jobs belong to the action (checked before a job is
    followed, whichever header or body named it). With a `watcher`, the job is read from the watcher's next
    listing instead of a GET of its own (a wave's hundreds of starts then cost one list, not a GET each).

    The request is never re-sent while it may have taken effect. When the answer is lost (connection dropped
    after sending, read timeout) or is a 5xx (`AsrRetryPolicy` retries neither for a POST), the item is read
    again: a job of this action on it is attached to; otherwise the vault's jobs started since the request was
    sent are searched (a quick job may already be over). The request is sent again only if neither shows one,
    i.e. ASR shows that it did not start, at most `ASR_RETRY_TOTAL` times; without a `match` it is never sent
    again.
    """
    attempts = load_settings().retry_total + 1
    captured: list[PipelineResponse[Any, Any]] = []

    def capture(response: PipelineResponse[Any, Any]) -> None:
        if response.http_response.status_code < 300:
            captured.append(response)

    for attempt in range(attempts):
        sent_at = datetime.now(UTC)
        try:
            begin(resource_group_name, vault_name, *args, polling=False, raw_response_hook=capture, **kwargs)
        except (*_UNCERTAIN, HttpResponseError) as error:
            if isinstance(error, HttpResponseError) and not _may_have_taken_effect(error):
                raise
            job, idle = _job_of_item(client, resource_group_name, vault_name, get_item, match)
            if job is None and idle:
                job = _recent_job_of_vault(client, resource_group_name, vault_name, match, sent_at)
                idle = job is None and match is not None
            if job is not None:
                return job
            if idle and attempt + 1 < attempts:
                continue  # neither the item nor the vault's recent jobs show it: ASR did not start the action
            raise ActionOutcomeUnknownError(
                f"{what}: the request failed after it was sent ({_describe(error)}); ASR may or may not have"
                " started it and shows no job for it on the item. Nothing was sent again. Rerunning `pulumi up`"
                " is safe: the action reads the item first and attaches to the job if one started."
            ) from error
        return _job_from_answer(
            _job_reader(client, resource_group_name, vault_name, watcher), vault_name, captured, get_item, match,
            recent=functools.partial(_recent_job_of_vault, client, resource_group_name, vault_name, match, sent_at),
        )  # fmt: skip
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _job_reader(
    client: SiteRecoveryManagementClient, resource_group_name: str, vault_name: str, watcher: JobWatcher | None
) -> Callable[[str], Any]:
    """How a just-answered action's job is read: its own GET, or the watcher's first listing sent from now on."""
    if watcher is None:
        return lambda name: client.replication_jobs.get(resource_group_name, vault_name, name)
    answered = time.monotonic()
    return lambda name: watcher.job_listed_after(name, answered)


def _job_from_answer(
    read: Callable[[str], Any],
    vault_name: str,
    captured: list[PipelineResponse[Any, Any]],
    get_item: Callable[[], Any] | None,
    match: JobMatch | None,
    recent: Callable[[], str | None],
) -> str:
    """The job an accepted action started: from `Location`, `Azure-AsyncOperation`, the body or the item, the
    first that names a job of this action; else (with a `match`) the vault's job of this action started since the
    request was sent (`recent`): an object that does not exist yet has no item to read. `read` reads a job by
    name (raises `ResourceNotFoundError`)."""
    if not captured:
        raise AsrJobNotFoundError("the ASR action returned no response to read a job from")
    response = captured[-1].http_response
    headers = response.headers
    candidates = [
        job_name_from_id(headers.get("Location")),
        job_name_from_id(headers.get("Azure-AsyncOperation")),
        job_name_from_item(_json_or_none(response)),
    ]
    try:
        for name in dict.fromkeys(c for c in candidates if c):
            if _job_belongs(read, name, match):
                return name
        if get_item is not None:
            current = job_name_from_item(get_item())
            if current is not None and _job_belongs(read, current, match):
                return current
        listed = recent()
        if listed is not None:
            return listed
    except (HttpResponseError, DeserializationError) as error:
        raise ActionStartedError(
            f"ASR accepted the action ({response.status_code}), but reading its job failed ({error}). The action"
            " is running or has run in ASR; nothing was sent again. Rerunning `pulumi up` is safe: it reads the"
            " item first and attaches to the job."
        ) from error
    raise AsrJobNotFoundError(
        f"ASR accepted the action ({response.status_code}) but no job of it could be identified in vault"
        f" {vault_name}: neither Location, Azure-AsyncOperation, the body, the item's currentScenario nor the"
        " vault's jobs since the request showed a job of this action. The action may be running: check the vault's Site Recovery jobs, then run `pulumi up`"
        " again (it reads the item first and attaches to a running job)."
    )


def wait_for_job(
    client: SiteRecoveryManagementClient,
    resource_group_name: str,
    vault_name: str,
    job_name: str,
    *,
    timeout: float | None = None,
    poll_interval: float | None = None,
    progress: Callable[[JobStatus], None] | None = None,
) -> JobStatus:
    """Poll `replicationJobs/{job_name}` until the job ends; return its final status if it succeeded.

    Waits the server's `Retry-After` between polls, else `poll_interval` (default `ASR_JOB_POLL_SECONDS`),
    never past `timeout` (default `ASR_JOB_TIMEOUT_SECONDS`). `progress` is called with every status read.
    Raises `AsrJobError`, `AsrJobSuspendedError` or `AsrJobTimeoutError`.
    """
    settings = load_settings()
    timeout = settings.job_timeout if timeout is None else timeout
    interval = settings.job_poll_interval if poll_interval is None else poll_interval
    floor = min(1.0, interval)  # a Retry-After of 0 must not turn polling into a busy loop

    def look() -> tuple[JobStatus | None, tuple[JobStatus, Mapping[str, str]]]:
        job, headers = cast(
            tuple[Any, Mapping[str, str]],
            client.replication_jobs.get(resource_group_name, vault_name, job_name, cls=_with_headers),
        )
        status = job_status(job)
        if progress is not None:
            progress(status)
        return (status if _ended(status, resource_group_name, vault_name) else None), (status, headers)

    def delay(seen: tuple[JobStatus, Mapping[str, str]]) -> float:
        retry_after = _retry_after(seen[1])
        return max(floor, retry_after if retry_after is not None else interval)

    return poll_until(
        look, timeout=timeout, interval=delay, timed_out=lambda seen: AsrJobTimeoutError(seen[0], vault_name, timeout)
    )


class JobWatcher:
    """Follows many ASR jobs of one vault with one list request per poll, instead of one GET per job and poll.

    A wave action starts up to `maxConcurrency` jobs at once; polling each job separately costs the client and ARM
    one request per job per interval. The watcher lists the vault's jobs started since it was made
    (`$filter=startTime eq '<time>'`, the query Azure PowerShell's `Get-AzRecoveryServicesAsrJob -StartTime`
    sends) every `ASR_JOB_POLL_SECONDS` while anyone waits (a paged list carries no `Retry-After` to follow), and
    reads a job the list does not show with a GET; if the vault refuses the list, every job is read with its own
    GET from then on. `wait` has `wait_for_job`'s outcomes and errors. `job_listed_after` lets `start_job` confirm
    each job it started from the next listing, so a wave's burst of starts is one POST per machine.

    The listing is read as JSON through the client's own pipeline (`send_request`: the same endpoint, token,
    retries and timeouts), not with the SDK's paged `replication_jobs.list`, which builds a `Job` model of every
    job on every page: 73 ms of CPU per listing of 200 jobs, measured, in the interpreter that runs the whole
    wave. Its readers (`job_status`, `JobMatch.accepts`) read the REST shape, which SDK models share.
    """

    def __init__(
        self, client: SiteRecoveryManagementClient, subscription_id: str, resource_group_name: str, vault_name: str
    ) -> None:
        self.client, self.resource_group_name, self.vault_name = client, resource_group_name, vault_name
        self.jobs_path = f"{vault_path(subscription_id, resource_group_name, vault_name)}/replicationJobs"
        self.since = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._lock = threading.Lock()
        self._snapshot: dict[str, Any] = {}
        self._taken_at = -1.0
        self._listing = True
        self._interval = load_settings().job_poll_interval

    def wait(
        self, job_name: str, *, timeout: float | None = None, progress: Callable[[JobStatus], None] | None = None
    ) -> JobStatus:
        timeout = load_settings().job_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        seen = -1.0
        while True:
            job, seen = self._job(job_name, seen)  # waits for the next listing after the first read
            status = job_status(job)
            if progress is not None:
                progress(status)
            if _ended(status, self.resource_group_name, self.vault_name):
                return status
            if time.monotonic() >= deadline:
                raise AsrJobTimeoutError(status, self.vault_name, timeout)

    def job_listed_after(self, job_name: str, after: float) -> Any:
        """The job as the first listing sent after `after` (a `time.monotonic()`) shows it, else its own GET
        (raises `ResourceNotFoundError` when ASR has no such job): how `start_job` confirms a job it started."""
        return self._job(job_name, after)[0]

    def _job(self, job_name: str, newer_than: float) -> tuple[Any, float]:
        """(the job, when its listing was sent): from the first listing sent after `newer_than`, waiting for it
        (one list per interval, shared by every caller), else from the job's own GET."""
        while True:
            with self._lock:
                if self._taken_at > newer_than:
                    job, taken_at = self._snapshot.get(job_name), self._taken_at
                    break
                due = self._taken_at + self._interval
                if time.monotonic() >= due:
                    self._list()
                    continue
            time.sleep(max(0.01, due - time.monotonic()))
        if job is None:
            job = self.client.replication_jobs.get(self.resource_group_name, self.vault_name, job_name)
        return job, taken_at

    def _list(self) -> None:
        """Take a new snapshot of the vault's jobs (under the lock); stamped with when its request was sent."""
        sent = time.monotonic()
        if self._listing:
            try:
                self._snapshot = {str(job.get("name")): job for job in self._listed_jobs()}
            except HttpResponseError:  # a vault that refuses the filter: follow each job with its own GET
                self._listing, self._snapshot = False, {}
        self._taken_at = sent

    def _listed_jobs(self) -> list[dict[str, Any]]:
        """Every page of `GET .../replicationJobs?$filter=startTime eq '<since>'`, as JSON."""
        params = {"api-version": ASR_API_VERSION, "$filter": f"startTime eq '{self.since}'"}
        return list_json(self.client, self.jobs_path, params)


def log_progress(what: str) -> Callable[[JobStatus], None]:
    """A `progress` callback that logs the job's state as `<what>: <state> (<description>[, n/m tasks])` when it
    changes, not at every poll: a wave follows up to `maxConcurrency` jobs at once, each polled for minutes."""
    shown: tuple[str, str, int] | None = None

    def progress(status: JobStatus) -> None:
        nonlocal shown
        if shown != (seen := (status.state, status.state_description, status.tasks_done)):
            shown = seen
            tasks = f", {status.tasks_done}/{status.tasks_total} tasks" if status.tasks_total else ""
            console.info(f"{what}: {status.state} ({status.state_description}{tasks})")

    return progress


def _ended(status: JobStatus, resource_group_name: str, vault_name: str) -> bool:
    """True once the job succeeded, False while ASR runs it; raises for any other end (see the module docstring)."""
    outcome = status.outcome
    if outcome is JobOutcome.SUSPENDED:
        raise AsrJobSuspendedError(status, resource_group_name, vault_name)
    if outcome is not None and outcome is not JobOutcome.SUCCEEDED:
        raise AsrJobError(status, resource_group_name, vault_name)
    return outcome is JobOutcome.SUCCEEDED


def job_status(job: Mapping[str, Any]) -> JobStatus:
    """A `JobStatus` from a job in its REST shape: an SDK `Job` model (a mapping of its JSON) or a listed job's JSON."""
    properties = job.get("properties") or {}
    tasks = list(properties.get("tasks") or [])
    errors = list(properties.get("errors") or [])
    if not errors:  # some failures are reported on the failed task only
        errors = [error for task in tasks for error in (task.get("errors") or [])]
    return JobStatus(
        name=job.get("name") or "",
        state=properties.get("state") or "",
        state_description=properties.get("stateDescription") or "",
        friendly_name=properties.get("friendlyName") or "",
        target_object_name=properties.get("targetObjectName") or "",
        tasks_done=sum(1 for task in tasks if task.get("state") in ("Succeeded", "Skipped")),
        tasks_total=len(tasks),
        allowed_actions=tuple(properties.get("allowedActions") or ()),
        errors=tuple(_error_details(errors)),
    )


def _error_details(errors: list[Any]) -> list[AsrErrorDetail]:
    details: list[AsrErrorDetail] = []
    for error in errors:
        service = error.get("serviceErrorDetails")
        provider = error.get("providerErrorDetails")
        if service is not None:
            details.append(
                AsrErrorDetail(
                    code=service.get("code") or "",
                    message=service.get("message") or "",
                    possible_causes=service.get("possibleCauses") or "",
                    recommended_action=service.get("recommendedAction") or "",
                    source="service",
                    task_id=error.get("taskId") or "",
                )
            )
        if provider is not None:
            code = provider.get("errorCode")
            details.append(
                AsrErrorDetail(
                    code="" if code is None else str(code),
                    message=provider.get("errorMessage") or "",
                    possible_causes=provider.get("possibleCauses") or "",
                    recommended_action=provider.get("recommendedAction") or "",
                    source="provider",
                    task_id=error.get("taskId") or "",
                )
            )
    return list(dict.fromkeys(details))  # job-level and task-level lists repeat the same entries


def _job_of_item(
    client: SiteRecoveryManagementClient,
    resource_group_name: str,
    vault_name: str,
    get_item: Callable[[], Any] | None,
    match: JobMatch | None,
) -> tuple[str | None, bool]:
    """(the running job of this action on the item, or None; whether the item shows no job at all)."""
    if get_item is None:
        return None, False
    name = job_name_from_item(get_item())
    if name is None:
        return None, True
    job = client.replication_jobs.get(resource_group_name, vault_name, name)
    if match is not None and not match.accepts(job):
        return None, False
    running = job.properties is not None and job.properties.state in RUNNING_STATES
    return (name if running else None), False


def _recent_job_of_vault(
    client: SiteRecoveryManagementClient,
    resource_group_name: str,
    vault_name: str,
    match: JobMatch | None,
    sent_at: datetime,
) -> str | None:
    """A job of this action that started since the request was sent (a minute's leeway for clocks), running or
    already ended: a quick job can be over, and the item's `currentScenario` reset, before the item is read."""
    if match is None:
        return None
    since = sent_at - timedelta(minutes=1)
    try:
        listed = client.replication_jobs.list(
            resource_group_name, vault_name, filter=f"startTime eq '{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
        )
        jobs = list(itertools.islice(listed, 500))
    except HttpResponseError:  # a vault that refuses the filter: its newest jobs, unfiltered
        jobs = list(itertools.islice(client.replication_jobs.list(resource_group_name, vault_name), 500))
    for job in jobs:
        started = job.properties.start_time if job.properties is not None else None
        if match.accepts(job) and (started is None or as_utc(started) >= since):
            return str(job.name)
    return None


def _may_have_taken_effect(error: HttpResponseError) -> bool:
    """5xx (and a 408): the service may have acted before answering. A 4xx (429 included) was refused."""
    status = error.status_code or 0
    return status >= 500 or status == 408


def _describe(error: BaseException) -> str:
    status = getattr(error, "status_code", None)
    return f"HTTP {status}" if status else type(error).__name__


def _with_headers(pipeline_response: PipelineResponse[Any, Any], job: Any, _headers: Any) -> tuple[Any, Any]:
    """`cls` hook of an SDK GET: keep the response headers (for `Retry-After`) next to the model."""
    return job, pipeline_response.http_response.headers


def _job_belongs(read: Callable[[str], Any], name: str, match: JobMatch | None) -> bool:
    try:
        job = read(name)
    except ResourceNotFoundError:
        return False
    return match is None or match.accepts(job)


def _json_or_none(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None
