"""A small Pulumi engine for tests: the real program, the real dynamic-provider server, the engine's rules.

`Engine.preview(raw)` and `Engine.up(raw)` run `__main__.py` with the SDK's mock runtime, but this module's
monitor plays the engine's part for every registration, as `pulumi preview` / `pulumi up` would:

* dynamic resources (`pulumi-python:dynamic/...`) go to one `python -u -m pulumi.dynamic` process over gRPC
  (tests/engine/plugin.py): `Check(old inputs, news)`, then `Create`, or `Diff(old outputs, news)` followed by
  `Update`, a replacement (create, then delete the old), or nothing. Their inputs are sent as the engine
  sends them to a provider that does not accept secrets: in plain text; outputs whose input of the same
  name was secret are marked secret again. In preview, `Create` and `Update` are not called: the outputs
  of a resource to be created or updated are its checked inputs, so everything computed is unknown
  downstream, exactly as the engine leaves it;
* every other custom resource (azure-native, aws, providers) is a stand-in (tests/engine/cloud.py), with
  state: unchanged inputs keep the old outputs, changed or new ones get computed outputs in `up` and
  unknowns in preview;
* the registration order is the program's own: a resource is registered once its inputs are resolved,
  so dependent steps wait for the steps they depend on and independent ones run in parallel;
* after the program, what is in the state but no longer declared is deleted in reverse dependency order:
  a protected resource stops the deployment, a `retain_on_delete` one is only forgotten;
* a check failure or a failed step stops the deployment: nothing registered after it runs.

`refresh()` sends `Read` for every dynamic resource (and drops stand-ins whose ASR object is gone, as a real
provider's read of a deleted resource does), `destroy()` deletes everything as the engine would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, resource_pb2

from migrate_tool.offline.engine import PlannedResource, ProgramRun, RecordingMonitor, dependencies_of
from tests.engine.cloud import PROTECTED_ITEM, Cloud, FakeSubscriptionMocks
from tests.engine.plugin import DynamicProviderPlugin
from tests.program import run_wave

DYNAMIC = "pulumi-python:dynamic"
SECRET_SIG = {rpc._special_sig_key: rpc._special_secret_sig}


class EngineError(RuntimeError):
    """The deployment stopped: a check failed, a step failed, or a protected resource would be deleted."""


@dataclass
class Stored:
    urn: str
    type: str
    name: str
    id: str
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    secret_keys: set[str]
    dependencies: list[str]
    protect: bool
    retain_on_delete: bool

    @property
    def dynamic(self) -> bool:
        return self.type.startswith(DYNAMIC)


@dataclass(frozen=True)
class Step:
    op: str  # create, update, replace, same, delete, forget (retain_on_delete), read
    type: str
    name: str


@dataclass
class Deployment:
    steps: list[Step]
    run: ProgramRun | None
    error: BaseException | None = None

    @property
    def outputs(self) -> dict[str, Any]:
        assert self.run is not None, f"the program did not finish: {self.error}"
        return self.run.outputs

    def ops(self, type_suffix: str = "") -> list[tuple[str, str]]:
        """(op, name) of the steps on resources whose type ends with `type_suffix`, other than `same`."""
        return [(s.op, s.name) for s in self.steps if s.type.endswith(type_suffix) and s.op != "same"]


def plain(struct: struct_pb2.Struct) -> tuple[dict[str, Any], set[str]]:
    """A Struct as the engine hands it to a provider that takes no secrets: secrets unwrapped (and the keys
    that held one), unknowns kept as the wire's sentinel string."""
    secret_keys: set[str] = set()

    def unwrap(value: Any, key: str) -> Any:
        if isinstance(value, dict):
            if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
                secret_keys.add(key)
                return unwrap(value.get("value"), key)
            return {k: unwrap(v, key) for k, v in value.items()}
        if isinstance(value, list):
            return [unwrap(v, key) for v in value]
        return value

    raw = json_format.MessageToDict(struct)
    return {k: unwrap(v, k) for k, v in raw.items()}, secret_keys


def ignoring_changes(news: dict[str, Any], olds: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """`news` with the old value at each `ignore_changes` path (dotted property names), as the engine does."""
    result = json.loads(json.dumps(news))
    for path in paths:
        *parents, leaf = path.split(".")
        old: Any = olds
        new: Any = result
        for key in parents:
            old = old.get(key) if isinstance(old, dict) else None
            new = new.setdefault(key, {}) if isinstance(new, dict) else None
        if isinstance(new, dict) and isinstance(old, dict) and leaf in old:
            new[leaf] = old[leaf]
    return result  # type: ignore[no-any-return]


def to_struct(values: dict[str, Any], secret_keys: set[str] = frozenset()) -> struct_pb2.Struct:  # type: ignore[assignment]
    struct = struct_pb2.Struct()
    struct.update({k: ({**SECRET_SIG, "value": v} if k in secret_keys else v) for k, v in values.items()})
    return struct


class EngineMonitor(RecordingMonitor):
    """The resource monitor the program talks to: every registration becomes an engine step."""

    def __init__(self, engine: Engine, preview: bool) -> None:
        super().__init__(FakeSubscriptionMocks(engine.references))
        self.engine = engine
        self.preview = preview
        self.registered: set[str] = set()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        pulumi_mocks._ensure_event_loop()
        self.registered.add(urn)
        resource_id, outputs = self.engine.step(urn, request, self.preview)
        inputs = rpc.deserialize_properties(request.object)
        self.planned.append(
            PlannedResource(
                urn=urn, type=request.type, name=request.name, parent_urn=request.parent, custom=request.custom,
                provider=request.provider.rsplit("::", 1)[0] if request.provider else "", inputs=inputs,
                protect=request.protect, id=resource_id, dependencies=dependencies_of(request),
                state=plain(outputs)[0],
            )
        )  # fmt: skip
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, resource_id, {})
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=outputs)


@dataclass
class Engine:
    cloud: Cloud
    plugin_env: dict[str, str | None]
    stack: str = "test"
    state: dict[str, Stored] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    last_preview: Deployment | None = None
    program: Callable[..., ProgramRun] = run_wave
    """Runs the program under `monitor` (`tests.program.run_wave`'s signature): the project's, or a test's own."""
    references: dict[str, ProgramRun] = field(default_factory=dict)
    """Other stacks' last runs, whose outputs this stack's StackReferences read (a wave's foundation)."""

    def __post_init__(self) -> None:
        self.plugin = DynamicProviderPlugin(self.plugin_env)
        self._lock = threading.Lock()
        self._stopped: BaseException | None = None

    # ---- commands -----------------------------------------------------------------------------------

    def preview(self, raw: dict[str, Any], secrets: dict[str, str] | None = None) -> Deployment:
        return self._deploy(raw, secrets, preview=True)

    def up(self, raw: dict[str, Any], secrets: dict[str, str] | None = None) -> Deployment:
        """`pulumi up`: a preview first (it stops on any error, and is kept as `last_preview`), then the update."""
        previewed = self.last_preview = self.preview(raw, secrets)
        if previewed.error is not None:
            raise EngineError(f"preview failed: {previewed.error}") from previewed.error
        deployment = self._deploy(raw, secrets, preview=False)
        if deployment.error is not None:
            raise EngineError(str(deployment.error)) from deployment.error
        return deployment

    def refresh(self) -> list[Step]:
        steps = []
        for stored in list(self.state.values()):
            if stored.dynamic:
                response = self.plugin.call(
                    "Read",
                    stored.name,
                    provider_pb2.ReadRequest(
                        id=stored.id, urn=stored.urn, properties=to_struct(stored.outputs),
                        inputs=to_struct(stored.inputs), type=stored.type, name=stored.name,
                    ),
                )  # fmt: skip
                stored.outputs = plain(response.properties)[0]
                if response.HasField("inputs"):
                    stored.inputs = plain(response.inputs)[0]
                steps.append(Step("read", stored.type, stored.name))
            elif stored.type == PROTECTED_ITEM and self.cloud.fake.resource(stored.id) is None:
                del self.state[stored.urn]  # the provider's read finds nothing: the resource is gone
                steps.append(Step("delete", stored.type, stored.name))
        return steps

    def destroy(self) -> list[Step]:
        self.steps = []
        self._delete([urn for urn in self.state])
        return self.steps

    def restart_plugin(self) -> None:
        """A new plugin process, as the next `pulumi up` starts one."""
        self.plugin.stop()
        self.plugin = DynamicProviderPlugin(self.plugin_env)

    def close(self) -> None:
        self.plugin.stop()

    def outputs_of(self, name_suffix: str) -> dict[str, Any]:
        [stored] = [s for s in self.state.values() if s.name.endswith(name_suffix)]
        return stored.outputs

    def state_text(self) -> str:
        return json.dumps({urn: [s.inputs, s.outputs] for urn, s in self.state.items()}, default=str)

    # ---- one deployment -------------------------------------------------------------------------------

    def _deploy(self, raw: dict[str, Any], secrets: dict[str, str] | None, *, preview: bool) -> Deployment:
        self.steps = []
        self._stopped = None
        self.cloud.machine_ips = {m["name"]: m["privateIp"] for m in raw.get("machines", []) if "privateIp" in m}
        monitor = EngineMonitor(self, preview)
        run: ProgramRun | None = None
        try:
            run = self.program(raw, secrets, self.stack, monitor=monitor, preview=preview, strip_aliases=True)
        except Exception as error:  # the program failed, or a step made the deployment stop
            self._stopped = self._stopped or error
        if self._stopped is None and not preview:
            try:
                self._delete([urn for urn in self.state if urn not in monitor.registered])
            except EngineError as error:
                self._stopped = error
        return Deployment(list(self.steps), run if self._stopped is None else None, self._stopped)

    def step(self, urn: str, request: Any, preview: bool) -> tuple[str, struct_pb2.Struct]:
        """The engine's step for one registration; returns (id, outputs) for the program."""
        if self._stopped is not None:
            raise EngineError(f"the deployment stopped after an earlier error: {self._stopped}")
        try:
            return self._step(urn, request, preview)
        except Exception as error:
            self._stopped = self._stopped or error
            raise

    def _step(self, urn: str, request: Any, preview: bool) -> tuple[str, struct_pb2.Struct]:
        inputs, secret_keys = plain(request.object)
        secret_keys |= set(request.additionalSecretOutputs)
        old = self.state.get(urn)
        if old is not None:
            inputs = ignoring_changes(inputs, old.inputs, list(request.ignoreChanges))
        if not request.custom:
            if not preview:
                self._store(urn, request, "", {}, {}, set())
            return "", struct_pb2.Struct()
        if request.type.startswith(DYNAMIC):
            op, resource_id, checked, outputs = self._dynamic(urn, request, inputs, old, preview)
        else:
            op, resource_id, checked, outputs = self._stand_in(urn, request, inputs, old, preview)
        self._record(Step(op, request.type, request.name))
        if not preview:
            self._store(urn, request, resource_id, checked, outputs, secret_keys)
        return resource_id, to_struct(outputs, secret_keys)

    def _dynamic(
        self, urn: str, request: Any, inputs: dict[str, Any], old: Stored | None, preview: bool
    ) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
        name, typ = request.name, request.type
        if not preview:
            self.cloud.before_dynamic(typ, inputs)
        check = self.plugin.call(
            "Check",
            name,
            provider_pb2.CheckRequest(
                urn=urn, olds=to_struct(old.inputs if old else {}), news=to_struct(inputs), type=typ, name=name,
                randomSeed=b"0" * 32,
            ),
        )  # fmt: skip
        if check.failures:
            reasons = "; ".join(f"{f.property}: {f.reason}" for f in check.failures)
            raise EngineError(f"{name}: check failed: {reasons}")
        checked = plain(check.inputs)[0]
        if old is None:
            if preview:
                return "create", "", checked, checked
            created = self.plugin.call(
                "Create", name, provider_pb2.CreateRequest(urn=urn, properties=to_struct(checked), type=typ, name=name)
            )
            return "create", created.id, checked, plain(created.properties)[0]
        diff = self.plugin.call(
            "Diff",
            name,
            provider_pb2.DiffRequest(
                id=old.id, urn=urn, olds=to_struct(old.outputs), news=to_struct(checked),
                old_inputs=to_struct(old.inputs), type=typ, name=name,
            ),
        )  # fmt: skip
        if list(diff.replaces):
            if preview:
                return "replace", "", checked, checked
            created = self.plugin.call(
                "Create", name, provider_pb2.CreateRequest(urn=urn, properties=to_struct(checked), type=typ, name=name)
            )
            self.plugin.call(
                "Delete",
                name,
                provider_pb2.DeleteRequest(id=old.id, urn=urn, properties=to_struct(old.outputs), type=typ, name=name),
            )
            return "replace", created.id, checked, plain(created.properties)[0]
        unchanged = diff.changes == provider_pb2.DiffResponse.DIFF_NONE or (
            diff.changes == provider_pb2.DiffResponse.DIFF_UNKNOWN and checked == old.inputs  # the engine's own diff
        )
        if unchanged:
            return "same", old.id, checked, old.outputs
        if preview:
            return "update", old.id, checked, checked
        updated = self.plugin.call(
            "Update",
            name,
            provider_pb2.UpdateRequest(
                id=old.id, urn=urn, olds=to_struct(old.outputs), news=to_struct(checked),
                old_inputs=to_struct(old.inputs), type=typ, name=name,
            ),
        )  # fmt: skip
        return "update", old.id, checked, plain(updated.properties)[0]

    def _stand_in(
        self, urn: str, request: Any, inputs: dict[str, Any], old: Stored | None, preview: bool
    ) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
        if old is not None and old.inputs == inputs:
            return "same", old.id, inputs, old.outputs
        op = "create" if old is None else "update"
        if preview:
            return op, old.id if old else "", inputs, inputs
        python_inputs = rpc.deserialize_properties(to_struct(inputs))
        resource_id, state = self.cloud.apply(request.type, request.name, python_inputs, request.provider)
        return op, resource_id, inputs, state

    def _store(
        self,
        urn: str,
        request: Any,
        resource_id: str,
        inputs: dict[str, Any],
        outputs: dict[str, Any],
        secret_keys: set[str],
    ) -> None:
        with self._lock:
            self.state[urn] = Stored(
                urn, request.type, request.name, resource_id, request.custom, inputs, outputs, secret_keys,
                [*dependencies_of(request), *([request.parent] if request.parent else [])],
                bool(request.protect), bool(request.retainOnDelete),
            )  # fmt: skip

    def _record(self, step: Step) -> None:
        with self._lock:
            self.steps.append(step)

    def _delete(self, urns: list[str]) -> None:
        """Delete `urns` dependents first; protected ones stop the deployment, retained ones are forgotten."""
        doomed = set(urns)
        order: list[str] = []
        visiting: set[str] = set()

        def visit(urn: str) -> None:  # a resource goes after everything that depends on it
            if urn in order or urn in visiting:
                return
            visiting.add(urn)
            for other in doomed:
                if urn in self.state[other].dependencies:  # `depends_on`, inputs and the parent
                    visit(other)
            order.append(urn)

        for urn in sorted(doomed):
            visit(urn)
        for urn in order:
            stored = self.state[urn]
            if stored.protect:
                raise EngineError(f"refusing to delete protected resource {urn}: run `pulumi state unprotect` first")
            if stored.retain_on_delete:
                self._record(Step("forget", stored.type, stored.name))
            elif stored.dynamic:
                self.plugin.call(
                    "Delete",
                    stored.name,
                    provider_pb2.DeleteRequest(
                        id=stored.id, urn=urn, properties=to_struct(stored.outputs), old_inputs=to_struct(stored.inputs),
                        type=stored.type, name=stored.name,
                    ),
                )  # fmt: skip
                self._record(Step("delete", stored.type, stored.name))
            elif stored.custom:
                self._record(Step("delete", stored.type, stored.name))
            del self.state[urn]
