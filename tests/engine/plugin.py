"""The SDK's dynamic-provider server, started the way the Pulumi engine starts its plugin, and driven over gRPC.

The engine runs `pulumi-resource-pulumi-python`, a script that executes `python -u -m pulumi.dynamic` from the
stack's virtualenv, with the project directory (the one holding `Pulumi.yaml`) as working directory and no
PYTHONPATH; the server prints its port on stdout and serves every dynamic resource of the stack from a gRPC
server with `ThreadPoolExecutor(max_workers=4)` (`pulumi/dynamic/__main__.py` in the installed SDK). This class
does the same and records every RPC (method, resource, start, end) so tests can measure concurrency through
the real server instead of a thread pool of their own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Rpc:
    method: str
    name: str
    started: float
    ended: float
    failed: bool


class PluginError(RuntimeError):
    """An RPC to the plugin failed: the provider raised (the message carries its traceback) or the process died."""

    def __init__(self, method: str, name: str, error: grpc.RpcError) -> None:
        self.code = error.code()
        self.details = error.details() or ""
        super().__init__(f"{method} {name}: {self.code.name}: {self.details}")


class DynamicProviderPlugin:
    """One `python -u -m pulumi.dynamic` process and a gRPC stub to it."""

    def __init__(self, env: dict[str, str | None], cwd: Path = ROOT) -> None:
        """`env` is laid over this process's environment (a None value removes the variable); PYTHONPATH is
        always removed, as the engine starts the plugin without it."""
        environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        for key, value in env.items():
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop(), with the process)
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
            cwd=cwd,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode().strip()
        if not line.isdigit():
            raise RuntimeError(f"the dynamic provider did not start: {line!r} {self.stderr_text()}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.rpcs: list[Rpc] = []
        self._lock = threading.Lock()
        self.call("Configure", "", provider_pb2.ConfigureRequest(args=struct_pb2.Struct(), acceptSecrets=False))

    def call(self, method: str, name: str, request: Any) -> Any:
        started = time.monotonic()
        failed = True
        try:
            response = getattr(self.stub, method)(request)
            failed = False
            return response
        except grpc.RpcError as error:
            raise PluginError(method, name, error) from None
        finally:
            with self._lock:
                self.rpcs.append(Rpc(method, name, started, time.monotonic(), failed))

    def max_in_flight(self, methods: tuple[str, ...] = ("Check", "Diff", "Create", "Update", "Read", "Delete")) -> int:
        """The most RPCs of `methods` the server was serving at one moment."""
        events = sorted(
            [(r.started, 1) for r in self.rpcs if r.method in methods]
            + [(r.ended, -1) for r in self.rpcs if r.method in methods]
        )
        running = peak = 0
        for _at, step in events:
            running += step
            peak = max(peak, running)
        return peak

    def kill(self) -> None:
        """SIGKILL, as when the machine running `pulumi up` dies mid-step."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        self.channel.close()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.stderr.close()

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")
