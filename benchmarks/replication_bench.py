"""Time to evaluate the program under the offline mock engine for waves of 50, 200 and 400 machines.

    PYTHONPATH=. .venv/bin/python benchmarks/replication_bench.py [--sizes 50 200 400] [--repeat 3]

Two programs run on the project's offline engine (`migrate_tool.offline.engine.run_program`):

* program: the real `__main__.py` (config validation, components, dynamic resources, outputs contract);
* baseline: the same resources, with the same inputs, declared with bare SDK calls: every custom resource the
  program declared is constructed again from its SDK class (`pulumi_azure_native.<module>.<Type>`,
  `pulumi_aws.<module>.<Type>`, the provider resources, and the dynamic resources as `pulumi.dynamic.Resource`
  with the same, unpickled provider), with no component, no parent, no validation and no outputs.

Both keep every alias the SDK classes add: nothing is stripped. The best of `--repeat` runs is reported, with
the ratio program / baseline and the cost per machine.
"""

from __future__ import annotations

import argparse
import base64
import copy
import importlib
import json
import re
import runpy
import time
from pathlib import Path
from typing import Any

import dill
import pulumi
import pulumi.dynamic

from migrate_tool.offline.engine import PlannedResource, run_program

ROOT = Path(__file__).resolve().parents[1]
SECRETS = {
    f"migration:{key}": f"benchmark-{key}"
    for key in ("vaultRegistrationKey", "appliancePassphrase", "mysqlRootPassword", "mysqlUserPassword")
}


def wave_config(machines: int) -> dict[str, Any]:
    """The wave1 example stack with `machines` generated machines."""
    import yaml

    raw = yaml.safe_load((ROOT / "stacks" / "Pulumi.wave1.yaml").read_text())["config"]["migration:wave"]
    raw = copy.deepcopy(raw)
    raw["machines"] = [
        {
            "name": f"vm{n:04d}",
            "instanceId": f"i-{n:017x}",
            "privateIp": f"172.31.{n // 250}.{n % 250 + 4}",
            "os": "windows" if n % 2 else "linux",
        }
        for n in range(machines)
    ]
    return raw


def run(program: Any, raw: dict[str, Any]) -> tuple[float, list[PlannedResource]]:
    started = time.perf_counter()
    result = run_program(
        program,
        project="migration",
        stack="bench",
        config={"migration:wave": json.dumps(raw), **SECRETS},
        secret_keys=list(SECRETS),
    )
    return time.perf_counter() - started, result.resources


def real_program() -> None:
    runpy.run_path(str(ROOT / "__main__.py"), run_name="__pulumi_main__")


def baseline_program(planned: list[PlannedResource]) -> Any:
    """A program that declares `planned`'s custom resources with bare SDK calls."""
    custom = [r for r in planned if r.custom]

    def program() -> None:
        providers: dict[str, pulumi.ProviderResource] = {}
        for resource in custom:
            opts = pulumi.ResourceOptions(provider=providers.get(resource.provider), protect=resource.protect)
            declared = _declare(resource, opts)
            if resource.type.startswith("pulumi:providers:"):
                providers[resource.urn] = declared  # type: ignore[assignment]

    return program


def _declare(resource: PlannedResource, opts: pulumi.ResourceOptions) -> pulumi.Resource:
    if resource.type.startswith("pulumi-python:dynamic/"):
        serialized = resource.inputs["__provider"]  # the engine marks it secret: {sig, "value": ...}
        provider = dill.loads(base64.b64decode(serialized["value"] if isinstance(serialized, dict) else serialized))
        props = {k: v for k, v in resource.inputs.items() if k != "__provider"}
        return _dynamic_class(resource.type)(provider, resource.name, props, opts)
    cls, kwargs = _sdk_class(resource)
    return cls(resource.name, opts=opts, **kwargs)  # type: ignore[no-any-return]


_DYNAMIC: dict[str, type[pulumi.dynamic.Resource]] = {}


def _dynamic_class(token: str) -> type[pulumi.dynamic.Resource]:
    """A bare `pulumi.dynamic.Resource` subclass with the token's module and name (pulumi-python:dynamic/M:N)."""
    if token not in _DYNAMIC:
        module, name = token.split("dynamic/", 1)[1].split(":")
        _DYNAMIC[token] = type(name, (pulumi.dynamic.Resource,), {}, module=module, name=name)
    return _DYNAMIC[token]


def _sdk_class(resource: PlannedResource) -> tuple[Any, dict[str, Any]]:
    package, middle, name = resource.type.split(":")
    if package == "pulumi" and middle == "providers":
        module = importlib.import_module(f"pulumi_{name.replace('-', '_')}")
        cls = module.Provider
    else:
        module_name = {"azure-native": "pulumi_azure_native", "aws": "pulumi_aws"}[package]
        module = importlib.import_module(f"{module_name}.{middle.split('/')[0]}")
        cls = getattr(module, name)
    return cls, {_snake(key): value for key, value in resource.inputs.items()}


def _snake(key: str) -> str:
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
    return f"{snake}_" if snake == "resource_name" else snake


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 400])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    run(real_program, wave_config(1))  # warm-up: imports and first-use caches are not what is measured
    print(f"{'machines':>8} {'resources':>9} {'program s':>10} {'baseline s':>10} {'ratio':>6} {'ms/machine':>10}")
    for size in args.sizes:
        raw = wave_config(size)
        program_times: list[float] = []
        planned: list[PlannedResource] = []
        for _ in range(args.repeat):
            elapsed, planned = run(real_program, raw)
            program_times.append(elapsed)
        baseline = baseline_program(planned)
        baseline_times = [run(baseline, raw)[0] for _ in range(args.repeat)]
        best, base = min(program_times), min(baseline_times)
        print(
            f"{size:>8} {len(planned):>9} {best:>10.2f} {base:>10.2f} {best / base:>6.2f} {1000 * best / size:>10.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
