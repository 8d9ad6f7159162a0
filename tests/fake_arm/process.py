"""The fake ARM server in a process of its own, for load: a wave's hundreds of clients then do not share the
test's interpreter (and its GIL) with the server. `FakeInProcess` answers the calls tests/engine's `Cloud` and
the benchmarks make, through a `multiprocessing` manager proxy."""

from __future__ import annotations

from multiprocessing.managers import BaseManager
from typing import Any

from tests.fake_arm.compute import FakeCompute


class ServedFake(FakeCompute):
    """`FakeCompute` with the attributes a proxy cannot reach offered as methods."""

    def serve(self) -> None:
        self.start()

    def get_url(self) -> str:
        return self.url

    def has_vm(self, key: str) -> bool:
        return key in self.vms

    def request_count(self) -> int:
        return len(self.requests)


class _Manager(BaseManager):
    pass


EXPOSED = (
    "serve", "stop", "get_url", "has_vm", "request_count", "resource", "put_resource", "vault_path", "site_path",
    "register_appliance", "add_site_machine", "add_vm", "_no_scenario",
)  # fmt: skip
_Manager.register("ServedFake", ServedFake, exposed=EXPOSED)


class FakeInAnotherProcess:
    """Starts `ServedFake` in a child process; attribute access goes to it (`vms` and `url` answered here)."""

    def __init__(self, **settings: Any) -> None:
        self._manager = _Manager()
        self._manager.start()
        self._fake = self._manager.ServedFake(**settings)  # type: ignore[attr-defined]
        self._fake.serve()
        self.url = self._fake.get_url()
        self.vms = _Membership(self._fake)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fake, name)

    def stop(self) -> None:
        self._fake.stop()
        self._manager.shutdown()


class _Membership:
    def __init__(self, fake: Any) -> None:
        self._fake = fake

    def __contains__(self, key: object) -> bool:
        return bool(self._fake.has_vm(key))
