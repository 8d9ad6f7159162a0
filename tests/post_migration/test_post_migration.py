"""Post-migration preparation: each step against the fake Compute endpoint (`prepare`, one machine), failure modes,
and the wave-level `WavePostMigrationPrep` provider (records, retries, checks, pickled form, declared resource)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.output import Unknown

from components.asr import arm, post_migration
from components.asr.post_migration import (
    LINUX_AGENT_REMEDIATION,
    WINDOWS_AGENT_REMEDIATION,
    WINDOWS_UNINSTALL_COMMAND,
    PostMigrationError,
    WavePostMigrationPrep,
    WavePostMigrationPrepArgs,
    WavePostMigrationPrepProvider,
)
from tests.fake_arm.compute import FakeCompute, compute_env_fixture, fake_compute_fixture  # noqa: F401
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.server import SUBSCRIPTION
from tests.provider_roundtrip import round_trip

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RG = "rg-wave1"


def _vm_id(name: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/{name}"


def _props(name: str, os_type: str, source_type: str = "physical", **extra: str) -> dict[str, Any]:
    return {"machine": name, "vm_resource_id": _vm_id(name), "os": os_type, "source_type": source_type,
            "version": "1", **extra}  # fmt: skip


def prepare(props: dict[str, Any]) -> dict[str, Any]:
    """One machine's steps, raising what they raise, with the provider's own clients."""

    async def run() -> dict[str, Any]:
        async with post_migration.ComputeClients(pool_size=1) as clients:
            return await post_migration.prepare(props, clients.for_vm(props["vm_resource_id"]))

    return arm.run_on_own_loop(run())


def _vm_calls(fake: FakeCompute, name: str) -> list[tuple[str, str]]:
    """(method, last path segment) of the requests about VM `name`, operation polls left out."""
    prefix = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/{name}"
    calls = []
    for request in fake.requests:
        if request.path == prefix:
            calls.append((request.method, name))
        elif request.path.startswith(prefix + "/"):
            calls.append((request.method, request.path[len(prefix) + 1 :]))
    return calls


def test_the_restart_is_followed_by_its_status_alone_and_the_run_command_by_its_result(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential
) -> None:
    """A restart has no result: its operation's status ends it, without the final GET of its `Location` that
    azure-core sends after a POST by default (one request per VM). Run Command's output is that final GET."""
    fake_compute.add_vm("orders-web01", "windows")
    prepare(_props("orders-web01", "windows"))

    reads: dict[str, list[str]] = {}  # the POST an operation was started by -> how its URL was read
    started_by = ""
    for request in fake_compute.requests:
        if request.method == "POST":
            started_by = request.path.rsplit("/", 1)[-1]
        elif "/operations/" in request.path:
            reads.setdefault(started_by, []).append("result" if request.query.get("monitor") == "true" else "status")
    assert reads["runCommand"][-1] == "result" and set(reads["runCommand"][:-1]) == {"status"}
    assert reads["restart"] and set(reads["restart"]) == {"status"}


def test_windows_machine_goes_through_every_step_to_dr_ready(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential
) -> None:
    vm = fake_compute.add_vm("orders-web01", "windows")
    result = prepare(_props("orders-web01", "windows"))

    calls = _vm_calls(fake_compute, "orders-web01")
    assert calls[:3] == [
        ("GET", "orders-web01"),  # with its instance view: disks, power state and agent in one read
        ("POST", "runCommand"),  # detect, uninstall, detect again
        ("POST", "restart"),
    ]
    assert set(calls[3:]) == {("GET", "instanceView")}
    get = next(r for r in fake_compute.requests if r.path.endswith("/orders-web01"))
    assert get.query.get("$expand") == "instanceView"
    [removal] = fake_compute.run_commands("orders-web01")
    assert removal["commandId"] == "RunPowerShellScript"
    assert any(
        "'MsiExec.exe' -ArgumentList '/qn /x {275197FC-14FD-4560-A5EB-38217F80CBD1} /L+*V"
        ' "C:\\ProgramData\\ASRSetupLogs\\UnifiedAgentMSIUninstall.log"\'' in line
        for line in removal["script"]
    ), removal["script"]
    assert (vm.mobility_installed, vm.restarts) == (False, 1)

    outs = result
    assert outs["dr_ready"] is True
    assert outs["agent"]["status"] == "ok" and outs["agent"]["version"] == "2.7.41491.1102"
    assert outs["mobility_service"] == {
        "status": "removed",
        "detail": f"`{WINDOWS_UNINSTALL_COMMAND}` exited with 0; verified absent",
        "exitCode": 0,
    }
    assert outs["restart"]["status"] == "restarted"
    assert outs["managed_disk_ids"] == [
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/disks/orders-web01-osdisk",
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/disks/orders-web01-data0",
    ]


def test_linux_machine_uninstalls_as_root_in_the_asr_folder(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential
) -> None:
    vm = fake_compute.add_vm("orders-api01", "linux", agent_version="2.2.53")
    result = prepare(_props("orders-api01", "linux", source_type="vmware"))
    [removal] = fake_compute.run_commands("orders-api01")
    assert removal == {
        "commandId": "RunShellScript",
        "script": [
            "if [ ! -e /usr/local/ASR/uninstall.sh ]; then echo MOBILITY_SERVICE=absent; exit 0; fi",
            "echo MOBILITY_SERVICE=present",
            "(cd /usr/local/ASR && ./uninstall.sh -Y)",
            'echo "EXIT_CODE=$?"',
            "if [ -e /usr/local/ASR/uninstall.sh ]; then echo MOBILITY_SERVICE_AFTER=present;"
            " else echo MOBILITY_SERVICE_AFTER=absent; fi",
        ],
    }
    assert (vm.mobility_installed, vm.restarts) == (False, 1)
    assert result["mobility_service"]["status"] == "removed"
    assert result["dr_ready"] is True


def test_a_second_run_uninstalls_nothing_and_restarts_again(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential
) -> None:
    vm = fake_compute.add_vm("orders-web02", "windows")
    prepare(_props("orders-web02", "windows"))
    fake_compute.requests.clear()
    again = prepare(_props("orders-web02", "windows"))  # a rerun after a failed wait: the service is gone
    assert len(fake_compute.run_commands("orders-web02")) == 1  # its detection ends the script
    assert again["mobility_service"]["status"] == "absent"
    assert vm.restarts == 2  # the seed's restart, whatever an earlier run did


def _wave(*machines: tuple[str, str]) -> dict[str, Any]:
    entries = {
        name: {"vm_resource_id": _vm_id(name), "os": os_type, "source_type": "physical"} for name, os_type in machines
    }
    return {"machines": entries, "max_concurrency": 4, "version": "1"}


def test_wave_provider_records_each_machine_and_a_failure_does_not_stop_the_others(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential
) -> None:
    fake_compute.add_vm("ok01", "linux")
    fake_compute.add_vm("noagent01", "windows", agent_version="Unknown", agent_ready=False)
    outs = WavePostMigrationPrepProvider().create(_wave(("ok01", "linux"), ("noagent01", "windows"))).outs or {}
    assert outs["results"]["ok01"]["dr_ready"] is True
    assert outs["results"]["noagent01"]["result"] == "Failed"
    assert "the Azure VM agent is missing" in outs["results"]["noagent01"]["error"]


def test_a_vm_that_is_gone_is_recorded_with_arms_own_error(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential
) -> None:
    """The VM is read as JSON, past the SDK's models: an error answer still comes back as ARM worded it."""
    fake_compute.add_vm("ok01", "linux")
    outs = WavePostMigrationPrepProvider().create(_wave(("ok01", "linux"), ("gone01", "linux"))).outs or {}
    assert outs["results"]["ok01"]["dr_ready"] is True
    record = outs["results"]["gone01"]
    assert record["result"] == "Failed"
    assert "ResourceNotFound" in record["error"] and "virtual machine gone01 was not found" in record["error"]


def _most_machines_at_once(fake: FakeCompute, names: list[str]) -> int:
    """The most machines whose steps overlapped: each from its first request to its last, as the fake saw them."""
    spans = []
    for name in names:
        times = [r.at for r in fake.requests if f"/virtualMachines/{name}" in r.path]
        spans.append((min(times), max(times)))
    return max(sum(1 for start, end in spans if start <= moment <= end) for moment, _ in spans)


@pytest.mark.parametrize("max_concurrency", [2, 6])
def test_wave_provider_prepares_up_to_max_concurrency_machines_at_once(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential, max_concurrency: int
) -> None:
    names = [f"vm{index}" for index in range(6)]
    for name in names:
        fake_compute.add_vm(name, "linux")
    news = {**_wave(*((name, "linux") for name in names)), "max_concurrency": max_concurrency}
    outs = WavePostMigrationPrepProvider().create(news).outs or {}
    assert all(outs["results"][name]["dr_ready"] for name in names)
    assert _most_machines_at_once(fake_compute, names) == max_concurrency


def test_wave_provider_update_reruns_only_failed_new_or_moved_machines(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential
) -> None:
    fake_compute.add_vm("ok01", "linux")
    fake_compute.add_vm("retry01", "linux")
    provider = WavePostMigrationPrepProvider()
    olds = {
        **_wave(("ok01", "linux"), ("retry01", "linux")),
        "results": {
            "ok01": {"dr_ready": True, "vm_resource_id": _vm_id("ok01")},
            "retry01": {"result": "Failed", "error": "VM did not come back", "vm_resource_id": _vm_id("retry01")},
        },
    }
    news = _wave(("ok01", "linux"), ("retry01", "linux"))
    assert provider.diff("id", olds, news).changes is True  # a failed machine makes the next `pulumi up` retry it
    outs = provider.update("id", olds, news).outs or {}
    assert fake_compute.run_commands("ok01") == [] and len(fake_compute.run_commands("retry01")) >= 1
    assert outs["results"]["ok01"] == olds["results"]["ok01"] and outs["results"]["retry01"]["dr_ready"] is True
    done = {**news, "results": outs["results"]}
    assert provider.diff("id", done, news).changes is False


def test_hyperv_sources_skip_the_uninstall(fake_compute: FakeCompute, compute_env: StaticTokenCredential) -> None:
    vm = fake_compute.add_vm("legacy01", "windows", mobility_installed=False)
    result = prepare(_props("legacy01", "windows", source_type="hyperv"))
    assert fake_compute.run_commands("legacy01") == []
    assert result["mobility_service"]["status"] == "skipped"
    assert vm.restarts == 1


def test_missing_windows_agent_fails_with_the_msi_remediation(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential
) -> None:
    vm = fake_compute.add_vm("orders-files01", "windows", agent_version="Unknown", agent_ready=False)
    with pytest.raises(PostMigrationError) as raised:
        prepare(_props("orders-files01", "windows"))
    message = str(raised.value)
    assert message == (
        "orders-files01: VM orders-files01: the Azure VM agent is missing (agent version Unknown, status Not Ready"
        f" (VM Agent is unresponsive.)). {WINDOWS_AGENT_REMEDIATION}"
    )
    assert "https://go.microsoft.com/fwlink/?LinkID=394789" in message and "administrator rights" in message
    assert "Mobility service 9.7.0.0 or later installs the agent" in message
    assert _vm_calls(fake_compute, "orders-files01") == [("GET", "orders-files01")]  # nothing touched
    assert (vm.mobility_installed, vm.restarts) == (True, 0)


def test_old_windows_agent_is_refused(fake_compute: FakeCompute, compute_env: StaticTokenCredential) -> None:
    fake_compute.add_vm("old01", "windows", agent_version="2.6.1198.709")
    with pytest.raises(PostMigrationError, match=r"too old \(agent version 2\.6\.1198\.709, status Ready"):
        prepare(_props("old01", "windows"))
    fake_compute.add_vm("exact01", "windows", agent_version="2.6.1198.718")
    assert prepare(_props("exact01", "windows"))["dr_ready"] is True


def test_linux_agent_not_ready_points_to_the_distribution_package(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential
) -> None:
    fake_compute.add_vm("orders-db01", "linux", agent_ready=False)
    with pytest.raises(PostMigrationError) as raised:
        prepare(_props("orders-db01", "linux"))
    assert str(raised.value).endswith(LINUX_AGENT_REMEDIATION)
    assert "distribution's package repository" in str(raised.value) and "not from GitHub" in str(raised.value)


def test_failed_uninstall_names_exit_code_stderr_and_log(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential
) -> None:
    vm = fake_compute.add_vm("orders-web03", "windows", uninstall_exit_code=1603, uninstall_stderr="Fatal error")
    with pytest.raises(PostMigrationError) as raised:
        prepare(_props("orders-web03", "windows"))
    assert str(raised.value) == (
        f"orders-web03: removing the Mobility service from VM orders-web03 failed: `{WINDOWS_UNINSTALL_COMMAND}`"
        " exited with 1603; stderr: Fatal error. Check its log"
        " C:\\ProgramData\\ASRSetupLogs\\UnifiedAgentMSIUninstall.log on the VM, uninstall it by hand if needed,"
        " then run `pulumi up` again."
    )
    assert ("POST", "restart") not in _vm_calls(fake_compute, "orders-web03")
    assert (vm.mobility_installed, vm.restarts) == (True, 0)


def test_uninstall_that_leaves_the_service_is_caught_by_the_verification(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential
) -> None:
    fake_compute.add_vm("orders-worker01", "linux", uninstall_leaves_service=True)
    with pytest.raises(PostMigrationError, match="exited with 0, but the Mobility service is still installed"):
        prepare(_props("orders-worker01", "linux"))
    assert len(fake_compute.run_commands("orders-worker01")) == 1


def test_vm_that_never_comes_back_fails_after_the_bounded_wait(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASR_VM_READY_TIMEOUT_SECONDS", "0.5")
    vm = fake_compute.add_vm("orders-web04", "windows", comes_back=False)
    started = time.monotonic()
    with pytest.raises(PostMigrationError) as raised:
        prepare(_props("orders-web04", "windows"))
    assert 0.5 <= time.monotonic() - started < 5
    assert str(raised.value).startswith(
        "orders-web04: VM orders-web04 (resource group rg-wave1) did not come back within 0.5 s of its restart:"
        " power state PowerState/running, VM agent Not Ready (VM Agent is unresponsive.). Look at its boot"
        " diagnostics and serial console"
    )
    assert "the Mobility service is already removed" in str(raised.value)
    assert (vm.mobility_installed, vm.restarts) == (False, 1)


def test_stopped_vm_is_not_touched(fake_compute: FakeCompute, compute_env: StaticTokenCredential) -> None:
    fake_compute.add_vm("orders-web05", "windows", power="deallocated")
    with pytest.raises(PostMigrationError) as raised:
        prepare(_props("orders-web05", "windows"))
    assert "is not running (PowerState/deallocated)" in str(raised.value)
    assert "az vm start -g rg-wave1 -n orders-web05" in str(raised.value)
    assert _vm_calls(fake_compute, "orders-web05") == [("GET", "orders-web05")]


def test_throttled_run_command_is_retried(fake_compute: FakeCompute, compute_env: StaticTokenCredential) -> None:
    fake_compute.add_vm("orders-web06", "windows")
    fake_compute.fail_next("POST", r"/orders-web06/runCommand$", 429)
    assert prepare(_props("orders-web06", "windows"))["dr_ready"] is True
    assert len(fake_compute.run_commands("orders-web06")) == 2  # the throttled one, sent again


def test_bad_wait_setting_names_variable_value_and_rule(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASR_VM_READY_TIMEOUT_SECONDS", "ten minutes")
    with pytest.raises(arm.AsrSettingsError, match=r"ASR_VM_READY_TIMEOUT_SECONDS: 'ten minutes' must be a positive"):
        prepare(_props("orders-web07", "windows"))
    assert fake_compute.requests == []


def test_check_names_field_value_and_rule() -> None:
    news = {"machines": {"m1": {"vm_resource_id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/disks/d",
            "os": "Windows", "source_type": "aws"}}, "version": "1"}  # fmt: skip
    failures = sorted(f.reason for f in WavePostMigrationPrepProvider().check({}, news).failures)
    assert failures == [
        "machines.m1.os: 'Windows' must be one of windows, linux",
        "machines.m1.source_type: 'aws' must be one of physical, vmware, hyperv",
        "machines.m1.vm_resource_id: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/disks/d' must"
        " be a virtual machine's ARM id (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/"
        "virtualMachines/<name>)",
    ]
    assert WavePostMigrationPrepProvider().check({}, _wave(("vm1", "linux"))).failures == []


def test_check_accepts_a_vm_id_not_known_in_preview() -> None:
    news = _wave(("vm1", "linux"))
    news["machines"]["vm1"]["vm_resource_id"] = Unknown()
    assert WavePostMigrationPrepProvider().check({}, news).failures == []


def test_a_phase_where_no_machine_completed_yet_prepares_nothing(fake_compute: FakeCompute) -> None:
    """The lifecycle passes only the machines whose complete migration succeeded: possibly none (issue 28)."""
    provider = WavePostMigrationPrepProvider()
    news = {"machines": {}, "max_concurrency": 4, "version": "1"}
    assert provider.check({}, news).failures == []
    assert (provider.create(news).outs or {})["results"] == {}
    assert fake_compute.requests == []
    assert [f.reason for f in provider.check({}, {**news, "machines": []}).failures] == [
        "machines: [] must map machine names to their VMs"
    ]


def test_serialized_provider_round_trips_in_a_fresh_interpreter_without_secrets(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s3cr3t-client-secret-value"
    monkeypatch.setenv("AZURE_CLIENT_SECRET", secret)
    fake_compute.add_vm("vm1", "linux")
    provider = WavePostMigrationPrepProvider()
    provider.create(_wave(("vm1", "linux")))  # clients and tokens were in use in this process
    lines = round_trip(
        provider, secret, {"machines": {"m": {"vm_resource_id": "x", "os": "linux", "source_type": "physical"}}}
    )
    assert lines[0] == "components.asr.post_migration WavePostMigrationPrepProvider {}"
    assert json.loads(lines[1])[0].startswith("machines.m.vm_resource_id: 'x'"), (
        lines
    )  # check ran in the fresh interpreter


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        return "post-migration:orders-web01", {**args.inputs, "results": {"orders-web01": {"dr_ready": True}}}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def test_resource_declares_its_type_token_and_inputs() -> None:
    mocks = _Mocks()
    pulumi.runtime.set_mocks(mocks, preview=False)

    @pulumi.runtime.test
    def check() -> pulumi.Output[bool]:
        machines = {
            "orders-web01": {"vm_resource_id": _vm_id("orders-web01"), "os": "windows", "source_type": "physical"}
        }
        prep = WavePostMigrationPrep("wave1-post-migration", WavePostMigrationPrepArgs(machines=machines))

        def verify(_results: dict[str, Any]) -> bool:
            [declared] = mocks.resources
            assert declared.typ == "pulumi-python:dynamic/asr:WavePostMigrationPrep", declared.typ
            inputs = {key: value for key, value in declared.inputs.items() if key not in ("__provider", "results")}
            assert inputs == {"machines": machines, "max_concurrency": 10, "version": "1"}, f"{declared.name}: {inputs}"
            return True

        return prep.results.apply(verify)

    check()
