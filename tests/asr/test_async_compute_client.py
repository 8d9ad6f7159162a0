"""The async Compute client (`arm.async_compute_client`, the post-migration prep's): the same endpoint, token,
retries and loopback rule as the sync clients, on aiohttp."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError
from azure.core.rest import HttpRequest
from azure.mgmt.compute.aio import ComputeManagementClient

from components.asr import arm
from tests.fake_arm.compute import FakeCompute, compute_env_fixture, fake_compute_fixture  # noqa: F401
from tests.fake_arm.credential import StaticTokenCredential
from tests.fake_arm.server import SUBSCRIPTION, TOKEN

RG = "rg-wave1"
VM_PATH = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/web01"


def _with_client(use: Callable[[ComputeManagementClient], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        credential = arm.default_async_credential(arm.load_settings())
        async with arm.async_compute_client(credential=credential, polling_interval=0.01) as client:
            return await use(client)

    return arm.run_on_own_loop(run())


def _paths(fake: FakeCompute, method: str) -> list[str]:
    return [request.path for request in fake.requests if request.method == method]


def test_it_calls_the_endpoint_with_the_token(fake_compute: FakeCompute, compute_env: StaticTokenCredential) -> None:
    fake_compute.add_vm("web01", "linux")
    vm = _with_client(lambda client: client.virtual_machines.get(RG, "web01"))
    assert vm.name == "web01"
    [request] = fake_compute.requests
    assert (request.method, request.path, request.headers["Authorization"]) == ("GET", VM_PATH, f"Bearer {TOKEN}")
    assert compute_env.scopes == [("https://management.azure.com/.default",)]


def test_a_get_answered_503_is_retried(fake_compute: FakeCompute, compute_env: StaticTokenCredential) -> None:
    fake_compute.add_vm("web01", "linux")
    fake_compute.fail_next("GET", r"/virtualMachines/web01$", 503, times=2)
    assert _with_client(lambda client: client.virtual_machines.get(RG, "web01")).name == "web01"
    assert _paths(fake_compute, "GET") == [VM_PATH] * 3


def test_a_restart_answered_429_is_sent_again_and_a_500_is_not(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential
) -> None:
    vm = fake_compute.add_vm("web01", "linux")

    async def restart(client: ComputeManagementClient) -> None:
        await (await client.virtual_machines.begin_restart(RG, "web01")).result()

    fake_compute.fail_next("POST", r"/web01/restart$", 429, times=2)  # throttled: ASR/Compute did nothing
    _with_client(restart)
    assert (_paths(fake_compute, "POST"), vm.restarts) == ([f"{VM_PATH}/restart"] * 3, 1)

    fake_compute.requests.clear()
    fake_compute.fail_next("POST", r"/web01/restart$", 500, after_effect=True)  # it may have taken effect
    with pytest.raises(HttpResponseError) as error:
        _with_client(restart)
    assert error.value.status_code == 500
    assert _paths(fake_compute, "POST") == [f"{VM_PATH}/restart"]  # not replayed


def test_the_token_is_never_sent_over_http_to_a_non_loopback_host(
    fake_compute: FakeCompute, compute_env: StaticTokenCredential
) -> None:
    with pytest.raises(ServiceRequestError, match="non-TLS"):
        _with_client(lambda client: client.send_request(HttpRequest("GET", "http://192.0.2.1/subscriptions")))
    assert compute_env.scopes == []
    assert fake_compute.requests == []
