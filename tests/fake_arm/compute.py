"""A fake Microsoft.Compute endpoint for tests: `FakeCompute` extends `FakeArm` with virtual machines.

It serves what post-migration preparation calls (API 2026-04-01, what azure-mgmt-compute 39 sends), each
handler modelled on an official example in azure-rest-api-specs `specification/compute/.../examples/`
(named beside the handler):

* GET  `virtualMachines/{vm}`               the VM, for its managed disk ids (`$expand=instanceView`: with its
                                            instance view, as VirtualMachine_Get_WithInstanceView.json)
* GET  `virtualMachines/{vm}/instanceView`  power state and VM agent (version, Ready / Not Ready)
* POST `virtualMachines/{vm}/runCommand`    runs the project's Mobility removal script (detect, uninstall if
                                            present, detect again), recognised by its exact commands
* POST `virtualMachines/{vm}/restart`       restarts: the VM starts, then its agent turns Ready
* GET  `locations/{loc}/operations/{id}`    Compute's async operation status, and with `monitor=true`
                                            the operation's result (the 202's `Location`)

State per VM (`add_vm`) decides the failure modes: no agent / an old agent, an uninstall that fails or
leaves the service behind, a VM that never comes back after its restart. Where the examples say nothing,
the fake's choice is marked "fake's assumption".
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from components.asr.post_migration import MSI_UNINSTALL_ARGUMENTS
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.fixtures import aim_client_layer
from tests.fake_arm.server import RESOURCE_GROUP, SUBSCRIPTION, FakeArm, _error

COMPUTE_API_VERSION = "2026-04-01"
LOCATION = "westeurope"
_VM = (
    r"/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/microsoft\.compute/"
    r"virtualmachines/(?P<vm>[^/]+)"
)
_OPERATION = (
    r"/subscriptions/(?P<sub>[^/]+)/providers/microsoft\.compute/locations/(?P<loc>[^/]+)/operations/(?P<op>[^/]+)"
)
Handler = Callable[[re.Match[str], str, Any], tuple[int, Any, dict[str, str]]]


@dataclass
class FakeVm:
    name: str
    os: str  # "windows" or "linux"
    resource_group: str = RESOURCE_GROUP
    agent_version: str = "2.7.41491.1102"  # "Unknown" when no agent answers (fake's assumption, as Azure shows it)
    agent_ready: bool = True
    power: str = "running"
    mobility_installed: bool = True
    uninstall_exit_code: int = 0
    uninstall_stderr: str = ""
    uninstall_leaves_service: bool = False
    comes_back: bool = True
    restarted_at: float | None = None
    data_disks: int = 1
    restarts: int = 0

    def disk_id(self, disk: str) -> str:
        return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{self.resource_group}/providers/Microsoft.Compute/disks/{disk}"


@dataclass
class Operation:
    created: float
    result: Any = None
    effect: Callable[[], None] | None = None
    done: bool = field(default=False)


class FakeCompute(FakeArm):
    """`FakeArm` plus virtual machines; see the module docstring."""

    def __init__(
        self,
        *,
        job_step_seconds: float = 0.05,
        retry_after: str | None = "0.05",
        compute_step_seconds: float | None = None,
    ) -> None:
        """`compute_step_seconds`: how long Compute operations and restarts take (default: `job_step_seconds`)."""
        super().__init__(job_step_seconds=job_step_seconds, retry_after=retry_after)
        self.compute_step_seconds = job_step_seconds if compute_step_seconds is None else compute_step_seconds
        self.vms: dict[str, FakeVm] = {}  # lower-case "rg/vm" -> VM
        self.operations: dict[str, Operation] = {}

    def add_vm(self, name: str, os: str, **state: Any) -> FakeVm:
        vm = FakeVm(name=name, os=os, **state)
        self.vms[f"{vm.resource_group}/{name}".lower()] = vm
        return vm

    def vm_id(self, name: str, rg: str = RESOURCE_GROUP) -> str:
        return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}"

    def run_commands(self, name: str) -> list[dict[str, Any]]:
        """Bodies of the Run Command requests sent to VM `name`, in order."""
        return [
            r.body
            for r in self.requests
            if r.method == "POST" and r.path.lower().endswith(f"/{name.lower()}/runcommand")
        ]

    # ---- routes ----------------------------------------------------------------------------------

    def _routes(self) -> list[tuple[str, str, Handler]]:
        return [
            # virtualMachineExamples/VirtualMachine_Get.json
            ("GET", _VM, self._compute(self._get_vm)),
            # virtualMachineExamples/VirtualMachine_Get_InstanceView.json
            ("GET", _VM + r"/instanceview", self._compute(self._instance_view)),
            # runCommandExamples/VirtualMachineRunCommand.json
            ("POST", _VM + r"/runcommand", self._compute(self._run_command)),
            # virtualMachineExamples/VirtualMachine_Restart_MaximumSet_Gen.json
            ("POST", _VM + r"/restart", self._compute(self._restart)),
            # Compute's operation status (the 202's Azure-AsyncOperation; with monitor=true its Location)
            ("GET", _OPERATION, self._compute(self._operation)),
            *super()._routes(),
        ]

    def _compute(self, handler: Handler) -> Handler:
        """Check the api-version of a Compute request, as ARM does, before the handler runs."""

        def checked(match: re.Match[str], key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
            version = self.requests[-1].query.get("api-version")  # the request being handled (under the lock)
            if version != COMPUTE_API_VERSION:
                return 400, _error("InvalidApiVersionParameter", f"api-version {version!r}"), {}
            return handler(match, key, body)

        return checked

    def _vm(self, match: re.Match[str]) -> FakeVm | None:
        return self.vms.get(f"{match['rg']}/{match['vm']}".lower())

    # ---- handlers --------------------------------------------------------------------------------

    def _get_vm(self, match: re.Match[str], _key: str, _body: Any) -> tuple[int, Any, dict[str, str]]:
        vm = self._vm(match)
        if vm is None:
            return 404, _error("ResourceNotFound", f"virtual machine {match['vm']} was not found"), {}
        expanded = self.requests[-1].query.get("$expand") == "instanceView"  # the request being handled
        return (
            200,
            {
                "name": vm.name,
                "id": self.vm_id(vm.name, vm.resource_group),
                "type": "Microsoft.Compute/virtualMachines",
                "location": LOCATION,
                "properties": {
                    "vmId": str(uuid.uuid5(uuid.NAMESPACE_URL, vm.name)),
                    "provisioningState": "Succeeded",
                    "storageProfile": {
                        "osDisk": {
                            "osType": vm.os.capitalize(),
                            "name": f"{vm.name}-osdisk",
                            "createOption": "Attach",
                            "managedDisk": {"id": vm.disk_id(f"{vm.name}-osdisk")},
                        },
                        "dataDisks": [
                            {
                                "lun": lun,
                                "name": f"{vm.name}-data{lun}",
                                "createOption": "Attach",
                                "managedDisk": {"id": vm.disk_id(f"{vm.name}-data{lun}")},
                            }
                            for lun in range(vm.data_disks)
                        ],
                    },
                    **({"instanceView": self._view(vm)} if expanded else {}),
                },
            },
            {},
        )

    def _instance_view(self, match: re.Match[str], _key: str, _body: Any) -> tuple[int, Any, dict[str, str]]:
        vm = self._vm(match)
        if vm is None:
            return 404, _error("ResourceNotFound", f"virtual machine {match['vm']} was not found"), {}
        return 200, self._view(vm), {}

    def _view(self, vm: FakeVm) -> dict[str, Any]:
        power, ready = self._live_state(vm)
        agent_status = (
            {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready",
             "message": "Guest Agent is running", "time": "2026-01-01T00:00:00+00:00"}
            if ready
            # fake's assumption: what Azure shows for an agent that does not report (portal: "Not Ready")
            else {"code": "ProvisioningState/Unavailable", "level": "Warning", "displayStatus": "Not Ready",
                  "message": "VM Agent is unresponsive.", "time": "2026-01-01T00:00:00+00:00"}
        )  # fmt: skip
        return {
            "computerName": vm.name,
            "osName": "Windows Server 2022 Datacenter" if vm.os == "windows" else "ubuntu",
            "vmAgent": {"vmAgentVersion": vm.agent_version, "statuses": [agent_status], "extensionHandlers": []},
            "disks": [{"name": f"{vm.name}-osdisk", "statuses": [{"code": "ProvisioningState/succeeded"}]}],
            "statuses": [
                {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"},
                {"code": f"PowerState/{power}", "level": "Info", "displayStatus": f"VM {power}"},
            ],
        }

    def _live_state(self, vm: FakeVm) -> tuple[str, bool]:
        """(power, agent ready) now: after a restart the VM starts, then its agent turns Ready."""
        if vm.restarted_at is None:
            return vm.power, vm.agent_ready and vm.agent_version != "Unknown"
        elapsed = time.monotonic() - vm.restarted_at
        if elapsed < self.compute_step_seconds:
            return "starting", False
        if not vm.comes_back:  # the platform runs it, but the guest never answers again
            return "running", False
        return "running", elapsed >= 2 * self.compute_step_seconds

    def _run_command(self, match: re.Match[str], _key: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        vm = self._vm(match)
        if vm is None:
            return 404, _error("ResourceNotFound", f"virtual machine {match['vm']} was not found"), {}
        command_id = (body or {}).get("commandId")
        expected = "RunPowerShellScript" if vm.os == "windows" else "RunShellScript"
        if command_id != expected:  # fake's assumption: the code and status ARM answers for a wrong command
            return 409, _error("OperationNotAllowed", f"{command_id} is not supported on a {vm.os} VM"), {}
        script = "\n".join((body or {}).get("script") or [])
        stdout, stderr = "", ""
        if self._is_removal(vm, script) and not vm.mobility_installed:
            stdout = "MOBILITY_SERVICE=absent\n"
        elif self._is_removal(vm, script):
            code = vm.uninstall_exit_code
            if code in (0, 3010):
                vm.mobility_installed = vm.uninstall_leaves_service
            after = "present" if vm.mobility_installed else "absent"
            stdout = f"MOBILITY_SERVICE=present\nEXIT_CODE={code}\nMOBILITY_SERVICE_AFTER={after}\n"
            stderr = vm.uninstall_stderr
        result = {
            "value": [
                {"code": "ComponentStatus/StdOut/succeeded", "level": "Info",
                 "displayStatus": "Provisioning succeeded", "message": stdout},
                {"code": "ComponentStatus/StdErr/succeeded", "level": "Info",
                 "displayStatus": "Provisioning succeeded", "message": stderr},
            ]
        }  # fmt: skip
        return self._start_operation(match, result, None)

    @staticmethod
    def _is_removal(vm: FakeVm, script: str) -> bool:
        """Only the seed's exact commands count (Windows through Start-Process, Linux in /usr/local/ASR), each
        after a detection that ends the script when the service is absent."""
        if vm.os == "windows":
            uninstall = "'MsiExec.exe'" in script and f"-ArgumentList '{MSI_UNINSTALL_ARGUMENTS}'" in script
            detect = "if (-not (Test-Mobility)) { 'MOBILITY_SERVICE=absent'; exit 0 }" in script
        else:
            uninstall = "(cd /usr/local/ASR && ./uninstall.sh -Y)" in script
            detect = "if [ ! -e /usr/local/ASR/uninstall.sh ]; then echo MOBILITY_SERVICE=absent; exit 0; fi" in script
        return uninstall and detect

    def _restart(self, match: re.Match[str], _key: str, _body: Any) -> tuple[int, Any, dict[str, str]]:
        vm = self._vm(match)
        if vm is None:
            return 404, _error("ResourceNotFound", f"virtual machine {match['vm']} was not found"), {}

        def effect() -> None:
            vm.restarts += 1
            vm.restarted_at = time.monotonic()

        return self._start_operation(match, None, effect)

    def _start_operation(
        self, match: re.Match[str], result: Any, effect: Callable[[], None] | None
    ) -> tuple[int, Any, dict[str, str]]:
        op = str(uuid.uuid4())
        self.operations[op] = Operation(created=time.monotonic(), result=result, effect=effect)
        base = (
            f"{self.url}/subscriptions/{match['sub']}/providers/Microsoft.Compute/locations/{LOCATION}/operations/{op}"
        )
        # fake's assumption: no Retry-After, so the client's polling interval applies
        return (
            202,
            None,
            {
                "Azure-AsyncOperation": f"{base}?api-version={COMPUTE_API_VERSION}",
                "Location": f"{base}?monitor=true&api-version={COMPUTE_API_VERSION}",
            },
        )

    def _operation(self, match: re.Match[str], _key: str, _body: Any) -> tuple[int, Any, dict[str, str]]:
        operation = self.operations.get(match["op"])
        if operation is None:
            return 404, _error("NotFound", f"operation {match['op']} was not found"), {}
        running = time.monotonic() - operation.created < self.compute_step_seconds
        if not running and not operation.done:
            operation.done = True
            if operation.effect is not None:
                operation.effect()
        monitor = self.requests[-1].query.get("monitor") == "true"
        if monitor:
            return (202, None, {}) if running else (200, operation.result, {})
        return (
            200,
            {
                "name": match["op"],
                "status": "InProgress" if running else "Succeeded",
                "startTime": "2026-01-01T00:00:00+00:00",
            },
            {},
        )


@pytest.fixture(name="fake_compute")
def fake_compute_fixture() -> Iterator[FakeCompute]:
    server = FakeCompute(job_step_seconds=0.05).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(name="compute_env")
def compute_env_fixture(fake_compute: FakeCompute, monkeypatch: pytest.MonkeyPatch) -> StaticTokenCredential:
    """The client layer aimed at `fake_compute`, with short waits; returns the credential clients get."""
    return aim_client_layer(fake_compute.url, monkeypatch, ASR_VM_READY_TIMEOUT_SECONDS="1", ASR_VM_POLL_SECONDS="0.02")
