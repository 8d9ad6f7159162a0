"""`PostMigrationPrep`: make a migrated VM ready for Azure-to-Azure disaster recovery.

Microsoft's procedure (the seed: Microsoft Docs, "Prepare machines to set up disaster recovery between Azure
regions after migration to Azure with Site Recovery"), run per machine once its migration is complete, through the Compute API only:

1. **Azure VM agent.** Read the VM's instance view. Windows: the agent must report version 2.6.1198.718
   or later; Linux: a ready agent. Otherwise the machine fails with the seed's remediation. The Site
   Recovery extension that A2A replication installs needs the agent, and so does step 2.
2. **Remove the Mobility service** (VMware and physical sources; EC2 instances are migrated as physical
   servers). Hyper-V machines never had it: skipped. Through Azure Run Command, as administrator/root:
   Windows `MsiExec.exe /qn /x {275197FC-14FD-4560-A5EB-38217F80CBD1} /L+*V
   "C:\\ProgramData\\ASRSetupLogs\\UnifiedAgentMSIUninstall.log"`, Linux `uninstall.sh -Y` in
   `/usr/local/ASR` (the seed prints `/user/local/ASR`, a typo). One Run Command per VM detects the service
   first (nothing is uninstalled twice), uninstalls it only if it is there, and detects again to verify it
   is gone (Azure runs one Run Command at a time per VM, each with its own start-up cost).
3. **Restart the VM** and wait, bounded, until it runs and its agent is Ready again.

Every step reads live state first, so running the resource again (a retry after a failure, or a
`version` bump) repeats nothing that is already done; on update the VM is restarted only when the
Mobility service had to be removed. Any failure raises `PostMigrationError` with what to do.

The outputs record each step's result and `dr_ready`, plus the VM's managed disk ids (OS disk first)
that A2A replication needs: see `components/contract.py` for how they enter the wave's outputs.

Settings (environment, read at call time; the client layer's variables in docs/asr-client.md apply too):
  `ASR_VM_READY_TIMEOUT_SECONDS` (default 1200): how long to wait for the VM after the restart.
  `ASR_VM_POLL_SECONDS` (default 15): instance-view and Compute operation polling interval.

The machines are prepared concurrently (up to `max_concurrency` at once) on one asyncio event loop, with the async
Compute client (`components.asr.arm.async_compute_client`): a wave's prep is mostly waiting on Compute, and the CPU
it does need is per request, so one loop in the plugin's one worker does what a thread per VM did at less than
half the CPU (docs/lifecycle.md has the figures). The provider object is pickled into the stack's state, so it
holds nothing but code: each call builds one credential and one client per subscription (`ComputeClients`).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, cast

import pulumi
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import models
from azure.mgmt.compute.aio import ComputeManagementClient
from azure.mgmt.core.polling.async_arm_polling import AsyncARMPolling
from pulumi.dynamic import CheckFailure, CreateResult, DiffResult, Resource, UpdateResult

from components import settings
from components.asr import arm, console
from components.asr.checks import is_unknown, machine_entries, one_of
from components.asr.provider import DeclaredInputsProvider
from components.errors import MigrationError
from components.polling import poll_until_async

PROVIDER_VERSION = "1"
OPERATING_SYSTEMS = ("windows", "linux")
SOURCE_TYPES = ("physical", "vmware", "hyperv")
MINIMUM_WINDOWS_AGENT = (2, 6, 1198, 718)

MOBILITY_PRODUCT_CODE = "{275197FC-14FD-4560-A5EB-38217F80CBD1}"
MSI_UNINSTALL_ARGUMENTS = (
    f'/qn /x {MOBILITY_PRODUCT_CODE} /L+*V "C:\\ProgramData\\ASRSetupLogs\\UnifiedAgentMSIUninstall.log"'
)
WINDOWS_UNINSTALL_COMMAND = f"MsiExec.exe {MSI_UNINSTALL_ARGUMENTS}"
LINUX_ASR_FOLDER = "/usr/local/ASR"
LINUX_UNINSTALL_COMMAND = "uninstall.sh -Y"
# msiexec: 0 done, 3010 done (reboot required, which step 3 does), 1605 product not installed.
MSI_SUCCESS_CODES = (0, 3010, 1605)

_PRESENT, _ABSENT = "MOBILITY_SERVICE=present", "MOBILITY_SERVICE=absent"
_STILL_THERE, _GONE = "MOBILITY_SERVICE_AFTER=present", "MOBILITY_SERVICE_AFTER=absent"
_WINDOWS_KEYS = (
    f"$keys = 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{MOBILITY_PRODUCT_CODE}',"
    f" 'HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{MOBILITY_PRODUCT_CODE}'"
)
REMOVAL_SCRIPTS: dict[str, list[str]] = {
    # One Run Command per VM (Azure runs one at a time, each with its own start-up cost): detect, and only if
    # the service is there uninstall it and detect again. The markers that decide come last, so the 4096 bytes
    # of output Run Command returns always hold them.
    "windows": [
        _WINDOWS_KEYS,
        "function Test-Mobility { [bool]($keys | Where-Object { Test-Path $_ }) }",
        f"if (-not (Test-Mobility)) {{ '{_ABSENT}'; exit 0 }}",
        f"'{_PRESENT}'",
        # PowerShell would parse a bare {GUID} as a script block, so msiexec gets the seed's arguments verbatim.
        f"$p = Start-Process -FilePath 'MsiExec.exe' -ArgumentList '{MSI_UNINSTALL_ARGUMENTS}' -Wait -PassThru",
        "'EXIT_CODE=' + $p.ExitCode",
        f"if (Test-Mobility) {{ '{_STILL_THERE}' }} else {{ '{_GONE}' }}",
    ],
    "linux": [
        f"if [ ! -e {LINUX_ASR_FOLDER}/uninstall.sh ]; then echo {_ABSENT}; exit 0; fi",
        f"echo {_PRESENT}",
        f"(cd {LINUX_ASR_FOLDER} && ./{LINUX_UNINSTALL_COMMAND})",
        'echo "EXIT_CODE=$?"',
        f"if [ -e {LINUX_ASR_FOLDER}/uninstall.sh ]; then echo {_STILL_THERE}; else echo {_GONE}; fi",
    ],
}
_COMMAND_IDS = {"windows": "RunPowerShellScript", "linux": "RunShellScript"}
_REPLACING_INPUTS = ("vm_resource_id", "os", "source_type")
_VM_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute/virtualMachines/(?P<vm>[^/]+)$",
    re.I,
)

WINDOWS_AGENT_REMEDIATION = (
    "Install the Azure VM agent on the VM: download the agent MSI (https://go.microsoft.com/fwlink/?LinkID=394789)"
    " and install it with administrator rights, then check that C:\\WindowsAzure\\Packages\\WaAppAgent.exe shows"
    " product version 2.6.1198.718 or later. (Mobility service 9.7.0.0 or later installs the agent on Windows"
    " during migration; machines migrated with 9.6 or earlier need this manual install.) Then run `pulumi up` again."
)
LINUX_AGENT_REMEDIATION = (
    "Install the Azure Linux VM agent (WALinuxAgent) as root from your distribution's package repository (for"
    " example `apt-get install walinuxagent` or `yum install WALinuxAgent`), not from GitHub, and make sure the"
    " service runs. Then run `pulumi up` again."
)


class PostMigrationError(MigrationError, RuntimeError):
    """A preparation step failed; the message says which machine, what was seen and what to do."""


@dataclass
class WavePostMigrationPrepArgs:
    """Inputs of `WavePostMigrationPrep`: machine name -> `{"vm_resource_id", "os", "source_type"}`.

    `source_type` is how ASR saw the machine: EC2 instances are migrated as physical servers. `version` is the
    provider code's version: bump it to re-run the steps (they skip what is already done).
    """

    machines: pulumi.Input[Mapping[str, Mapping[str, Any]]]
    max_concurrency: pulumi.Input[int] = 10
    version: pulumi.Input[str] = PROVIDER_VERSION


@dataclass(frozen=True)
class _Timing:
    ready_timeout: float
    poll_interval: float


class WavePostMigrationPrepProvider(DeclaredInputsProvider):
    """Dynamic provider of `WavePostMigrationPrep`: the steps for every machine, concurrently inside one call.

    A machine whose step fails gets a `Failed` record with the error (the others go on); `WaveOutcome` then
    fails the `pulumi up`, and the next `pulumi up` runs that machine again (new machines, failed machines and
    machines whose VM changed run; the others keep their records). Delete does nothing: the Mobility service
    is not reinstalled and the VMs are left running.
    """

    updating = ("machines", "version")

    def validate(self, news: dict[str, Any]) -> list[CheckFailure]:
        # Empty when no machine of the phase has completed its migration yet (`WaveLifecycle` passes only those).
        machines, failures = machine_entries(news, "must map machine names to their VMs", empty_ok=True)
        for name, entry in machines.items():
            vm_id = entry.get("vm_resource_id")
            if not is_unknown(vm_id) and (not isinstance(vm_id, str) or not _VM_ID.match(vm_id)):
                failures.append(
                    CheckFailure(
                        "machines",
                        f"machines.{name}.vm_resource_id: {vm_id!r} must be a virtual machine's ARM id"
                        " (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<name>)",
                    )
                )
            for key, allowed in (("os", OPERATING_SYSTEMS), ("source_type", SOURCE_TYPES)):
                failures += [
                    CheckFailure("machines", f"machines.{name}.{f.reason}") for f in one_of(entry, key, allowed)
                ]
        return failures

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        declared = super().diff(id_, olds, news)
        machines = news.get("machines")
        retry = isinstance(machines, dict) and bool(_pending(olds, machines))
        return DiffResult(changes=bool(declared.changes) or retry, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        machines = dict(props["machines"])
        results = _prepare_all(props, machines, list(machines))
        return CreateResult("post-migration:" + ",".join(sorted(machines)), {**props, "results": results})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        machines = dict(news["machines"])
        todo = _pending(olds, machines)
        kept = {n: r for n, r in (olds.get("results") or {}).items() if n in machines and n not in todo}
        return UpdateResult({**news, "results": {**kept, **_prepare_all(news, machines, todo)}})


class WavePostMigrationPrep(Resource, module="asr", name="WavePostMigrationPrep"):
    """Post-migration preparation of a wave's migrated VMs for Azure-to-Azure DR; see the module docstring.

    `results`: machine -> `{agent, mobility_service, restart, managed_disk_ids, dr_ready, vm_resource_id}`, or
    `{result: "Failed", error}`.
    """

    results: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, args: WavePostMigrationPrepArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            WavePostMigrationPrepProvider(),
            name,
            {
                "machines": args.machines,
                "max_concurrency": args.max_concurrency,
                "version": args.version,
                "results": None,
            },
            opts,
        )


class PostMigrationPrepProvider(DeclaredInputsProvider):
    """The per-machine provider of older versions, kept so their stacks can forget its records (it sends nothing)."""


def _pending(olds: dict[str, Any], machines: dict[str, Any]) -> list[str]:
    """Machines without a successful record for the same VM."""
    results = olds.get("results") or {}
    return [
        name
        for name, entry in machines.items()
        if not (results.get(name) or {}).get("dr_ready")
        or (results.get(name) or {}).get("vm_resource_id") != (entry or {}).get("vm_resource_id")
    ]


def _prepare_all(props: dict[str, Any], machines: dict[str, Any], names: list[str]) -> dict[str, Any]:
    if not names:
        return {}
    at_once = max(1, min(int(props.get("max_concurrency") or 10), len(names)))
    return arm.run_on_own_loop(_prepare_machines(machines, names, at_once))


async def _prepare_machines(machines: dict[str, Any], names: list[str], at_once: int) -> dict[str, Any]:
    """Each machine's record, `at_once` machines at a time; a failure is recorded and the others go on."""
    gate = asyncio.Semaphore(at_once)

    async def one(clients: ComputeClients, name: str) -> dict[str, Any]:
        async with gate:
            try:
                props = {"machine": name, "source_type": "physical", **machines[name]}
                return await prepare(props, clients.for_vm(str(props.get("vm_resource_id"))))
            except Exception as error:  # recorded; the others go on (see the provider's docstring)
                console.warn(f"{name}: post-migration preparation did not succeed: {error}")
                return {"result": "Failed", "error": str(error), "vm_resource_id": machines[name].get("vm_resource_id")}

    async with ComputeClients(pool_size=at_once) as clients:
        results = await asyncio.gather(*(one(clients, name) for name in names))
    return dict(zip(names, results, strict=True))


class ComputeClients:
    """One async Compute client per subscription, built on first use, sharing one credential; all closed on exit."""

    def __init__(self, pool_size: int) -> None:
        self.pool_size = pool_size
        self.credential: AsyncTokenCredential | None = None
        self.clients: dict[str, ComputeManagementClient] = {}

    async def __aenter__(self) -> ComputeClients:
        self.credential = arm.default_async_credential(arm.load_settings())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for client in self.clients.values():
            await client.close()
        if self.credential is not None:
            await self.credential.close()

    def for_vm(self, vm_resource_id: str) -> ComputeManagementClient:
        """The client for the VM's subscription; `PostMigrationError` when the id is not a VM's."""
        match = _vm_id_parts(vm_resource_id)
        if match["sub"] not in self.clients:
            assert self.credential is not None, "ComputeClients is used inside `async with`"
            self.clients[match["sub"]] = arm.async_compute_client(
                match["sub"], credential=self.credential, polling_interval=_timing().poll_interval,
                pool_size=self.pool_size,
            )  # fmt: skip
        return self.clients[match["sub"]]


def _vm_id_parts(vm_resource_id: str) -> re.Match[str]:
    match = _VM_ID.match(vm_resource_id)
    if match is None:  # check() refuses it; this guards a direct call
        raise PostMigrationError(f"vm_resource_id: {vm_resource_id!r} is not a virtual machine's ARM id")
    return match


# --- the steps ------------------------------------------------------------------------------------


async def prepare(props: dict[str, Any], client: ComputeManagementClient) -> dict[str, Any]:
    """Run the three steps for one VM (`machine`, `vm_resource_id`, `os`, `source_type`); return each step's result,
    the VM's managed disk ids and `dr_ready`. The restart always runs: a rerun after a failed wait must restart.
    `client`: an async Compute client for the VM's subscription (`ComputeClients.for_vm`)."""
    timing = _timing()
    match = _vm_id_parts(props["vm_resource_id"])
    rg, vm, machine, os_type = match["rg"], match["vm"], props["machine"], props["os"]
    model = await _as_json(client.virtual_machines.get, rg, vm, expand="instanceView")  # disks and live state
    view = (model.get("properties") or {}).get("instanceView")
    power = power_state(view)
    if power != "PowerState/running":
        raise PostMigrationError(
            f"{machine}: VM {vm} (resource group {rg}) is not running ({power or 'no power state'}); the VM"
            f" agent and Run Command need a running VM. Start it (`az vm start -g {rg} -n {vm}`) and run"
            " `pulumi up` again."
        )
    agent = agent_result(os_type, view)
    if agent["status"] != "ok":
        remediation = WINDOWS_AGENT_REMEDIATION if os_type == "windows" else LINUX_AGENT_REMEDIATION
        raise PostMigrationError(f"{machine}: VM {vm}: {agent['detail']}. {remediation}")

    mobility = await _remove_mobility_service(client, rg, vm, machine, os_type, props["source_type"])
    restart = await _restart_and_wait(client, rg, vm, machine, timing)
    return {
        "vm_resource_id": props["vm_resource_id"],
        "agent": agent,
        "mobility_service": mobility,
        "restart": restart,
        "managed_disk_ids": managed_disk_ids(model),
        "dr_ready": True,
    }


async def _as_json(read: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Mapping[str, Any]:
    """An SDK read's answer as its JSON, not as a model (`stream=True`: the SDK then skips deserializing it).

    The SDK still builds the request and maps an error answer to its exception. Why: the prep is CPU-bound in
    the one interpreter that runs the whole wave, and building the Compute models of these reads (the VM with
    its instance view, then the instance view until the agent is Ready) was about a tenth of it: 2.5-2.6 s of
    client CPU for a 200-VM prep with them, 2.2-2.4 s without (1,600 requests). The readers below take the
    REST shape, which the models (mappings of their JSON) share."""
    response = await read(*args, stream=True, cls=lambda answer, _body, _headers: answer.http_response, **kwargs)
    await response.read()
    return cast(Mapping[str, Any], response.json())


def power_state(view: Mapping[str, Any] | None) -> str:
    """The instance view's `PowerState/...` code, or "" when it reports none."""
    statuses = (view or {}).get("statuses") or []
    return next((code for s in statuses if (code := s.get("code") or "").startswith("PowerState/")), "")


def agent_status(view: Mapping[str, Any] | None) -> tuple[str, str]:
    """(displayStatus, message) of the VM agent, for example ("Ready", "Guest Agent is running")."""
    statuses = list(((view or {}).get("vmAgent") or {}).get("statuses") or [])
    if not statuses:
        return "", ""
    return statuses[0].get("displayStatus") or "", statuses[0].get("message") or ""


def _raw_agent_version(view: Mapping[str, Any] | None) -> str:
    return str(((view or {}).get("vmAgent") or {}).get("vmAgentVersion") or "")


def agent_version(view: Mapping[str, Any] | None) -> tuple[int, ...] | None:
    raw = _raw_agent_version(view)
    if not raw or not re.fullmatch(r"\d+(\.\d+)*", raw):
        return None  # Azure reports "Unknown" when no agent answers
    return tuple(int(part) for part in raw.split("."))


def agent_result(os_type: str, view: Mapping[str, Any] | None) -> dict[str, Any]:
    """Step 1's verdict: status "ok" or "failed", with the version and status the VM reported."""
    raw_version = _raw_agent_version(view)
    status, message = agent_status(view)
    seen = f"agent version {raw_version or 'none'}, status {status or 'none'}" + (f" ({message})" if message else "")
    result: dict[str, Any] = {"version": raw_version, "agentStatus": status}
    version = agent_version(view)
    minimum = ".".join(map(str, MINIMUM_WINDOWS_AGENT))
    if os_type == "windows" and version is None:
        problem = f"the Azure VM agent is missing ({seen})"
    elif os_type == "windows" and version is not None and version < MINIMUM_WINDOWS_AGENT:
        problem = f"the Azure VM agent is too old ({seen}; 2.6.1198.718 or later is needed)"
    elif status != "Ready":
        problem = f"the Azure VM agent is missing or not ready ({seen})"
    else:
        detail = f"{seen}" + (f"; at least {minimum}" if os_type == "windows" else "")
        return {**result, "status": "ok", "detail": detail}
    return {**result, "status": "failed", "detail": problem}


def managed_disk_ids(vm: Mapping[str, Any]) -> list[str]:
    """The VM's managed disk ids, OS disk first (A2A replicates each of them)."""
    storage = (vm.get("properties") or {}).get("storageProfile") or {}
    disks = [storage.get("osDisk") or {}, *(storage.get("dataDisks") or [])]
    return [str(disk_id) for disk in disks if (disk_id := (disk.get("managedDisk") or {}).get("id"))]


async def _remove_mobility_service(
    client: ComputeManagementClient, rg: str, vm: str, machine: str, os_type: str, source_type: str
) -> dict[str, Any]:
    command = WINDOWS_UNINSTALL_COMMAND if os_type == "windows" else f"{LINUX_ASR_FOLDER}/{LINUX_UNINSTALL_COMMAND}"
    if source_type == "hyperv":
        return {"status": "skipped", "detail": "Hyper-V sources never had the Mobility service"}
    stdout, stderr = await _run(client, rg, vm, os_type)
    code = _exit_code(stdout)
    if code is None and _ABSENT in stdout:
        return {"status": "absent", "detail": "the Mobility service is not installed"}
    if code is None:
        raise PostMigrationError(
            f"{machine}: could not tell whether the Mobility service was removed from VM {vm}: the removal script"
            f" printed {stdout.strip()[-300:]!r}"
            + (f" (stderr: {stderr.strip()[-300:]})" if stderr.strip() else "")
            + ". Check that Run Command works on the VM (its agent must be Ready), then run `pulumi up` again."
        )
    accepted = MSI_SUCCESS_CODES if os_type == "windows" else (0,)
    where = (
        "its log C:\\ProgramData\\ASRSetupLogs\\UnifiedAgentMSIUninstall.log on the VM"
        if os_type == "windows"
        else f"the output of `{LINUX_UNINSTALL_COMMAND}` in {LINUX_ASR_FOLDER} (run it by hand as root)"
    )
    if code not in accepted:
        raise PostMigrationError(
            f"{machine}: removing the Mobility service from VM {vm} failed: `{command}` exited with {code}"
            + (f"; stderr: {stderr.strip()}" if stderr.strip() else "")
            + f". Check {where}, uninstall it by hand if needed, then run `pulumi up` again."
        )
    if _GONE not in stdout:
        raise PostMigrationError(
            f"{machine}: `{command}` on VM {vm} exited with {code}, but the Mobility service is still installed."
            f" Check {where}, uninstall it by hand, then run `pulumi up` again."
        )
    return {"status": "removed", "detail": f"`{command}` exited with {code}; verified absent", "exitCode": code}


async def _run(client: ComputeManagementClient, rg: str, vm: str, os_type: str) -> tuple[str, str]:
    """Run the removal script through Run Command (administrator/SYSTEM on Windows, root on Linux); (stdout,
    stderr)."""
    command = models.RunCommandInput(command_id=_COMMAND_IDS[os_type], script=REMOVAL_SCRIPTS[os_type])
    try:
        result = await (await client.virtual_machines.begin_run_command(rg, vm, command)).result()
    except HttpResponseError as error:  # the run command failed as a long-running operation, or was refused
        code = getattr(error.error, "code", None) or error.status_code
        raise PostMigrationError(
            f"VM {vm} (resource group {rg}): Run Command {_COMMAND_IDS[os_type]} (Mobility service removal)"
            f" failed: {code}: {error.message}. Run Command needs a running VM whose agent is Ready and no other"
            f" run command in progress; check `az vm run-command list -g {rg} --vm-name {vm}` and the VM's agent"
            " status, then run `pulumi up` again (the steps skip what is already done)."
        ) from error
    stdout = stderr = ""
    for status in result.value or []:
        code = status.code or ""
        if "/StdOut/" in code:
            stdout += status.message or ""
        elif "/StdErr/" in code:
            stderr += status.message or ""
    return stdout, stderr


def _exit_code(stdout: str) -> int | None:
    found = re.findall(r"EXIT_CODE=(-?\d+)", stdout)
    return int(found[-1]) if found else None


async def _restart_and_wait(
    client: ComputeManagementClient, rg: str, vm: str, machine: str, timing: _Timing
) -> dict[str, Any]:
    started = time.monotonic()
    # A restart has no result, so its operation's status is the whole answer: no final GET of its Location (what
    # azure-core does after a POST unless told otherwise), one request per VM fewer.
    status_only = AsyncARMPolling(timing.poll_interval, lro_options={"final-state-via": "azure-async-operation"})
    await (await client.virtual_machines.begin_restart(rg, vm, polling=status_only)).result()

    async def look() -> tuple[dict[str, Any] | None, tuple[str, str, str]]:
        view = await _as_json(client.virtual_machines.instance_view, rg, vm)
        power, (status, message) = power_state(view), agent_status(view)
        seen = (power, status, message)
        if power != "PowerState/running" or status != "Ready":
            return None, seen
        seconds = round(time.monotonic() - started, 1)
        return {"status": "restarted", "detail": "running, VM agent Ready", "seconds": seconds}, seen

    def timed_out(seen: tuple[str, str, str]) -> Exception:
        power, status, message = seen
        return PostMigrationError(
            f"{machine}: VM {vm} (resource group {rg}) did not come back within {timing.ready_timeout:g} s of its"
            f" restart: power state {power or 'none'}, VM agent {status or 'none'}"
            + (f" ({message})" if message else "")
            + ". Look at its boot diagnostics and serial console in the Azure portal; once it runs and its agent"
            " reports Ready, run `pulumi up` again (the Mobility service is already removed). The wait is"
            " ASR_VM_READY_TIMEOUT_SECONDS."
        )

    # The bound counts from the restart request, as the message says.
    remaining = max(0.0, timing.ready_timeout - (time.monotonic() - started))
    return await poll_until_async(look, timeout=remaining, interval=timing.poll_interval, timed_out=timed_out)


def _timing() -> _Timing:
    return _Timing(
        ready_timeout=settings.seconds("ASR_VM_READY_TIMEOUT_SECONDS", 1200),
        poll_interval=settings.seconds("ASR_VM_POLL_SECONDS", 15),
    )
