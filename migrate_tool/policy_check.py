"""Run the policy pack (policy/policies.py) against an offline plan, without the Pulumi CLI.

The offline plan hands over what the program declared and the stack's config; `evaluate` builds the
same `ResourceValidationArgs` / `StackValidationArgs` objects the CLI's analyzer builds (properties
pass through a protobuf Struct exactly as on the wire, so numbers arrive as floats and values are
wrapped in the unknown-checking proxies), runs every policy, and returns the verdicts.

`policy_config` has the shape of a `--policy-pack-config` file: `{"<policy>": "<level>"}` or
`{"<policy>": {"enforcementLevel": "<level>", "<property>": <value>}}`, plus `"all"` for every
policy's level. Schema defaults apply to properties it does not set, as the CLI applies them.
"""

from __future__ import annotations

import asyncio
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties, serialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

POLICIES_FILE = Path(__file__).resolve().parents[1] / "policy" / "policies.py"
_MODULE_NAME = "asr_migration_policy_pack"
Reporter = Callable[[str, str | None], None]
_LEVELS = {level.value: level for level in EnforcementLevel}


class PolicyNotApplicableError(Exception):
    """A validation called `args.not_applicable(reason)`: the policy does not apply here; not a verdict."""


class ResourceArgs(ResourceValidationArgs):
    """`ResourceValidationArgs` whose `not_applicable` raises `PolicyNotApplicableError` (the CLI's analyzer catches
    pulumi-policy's own, unexported exception; this engine uses public API only)."""

    def not_applicable(self, reason: str | None = None) -> None:
        raise PolicyNotApplicableError(reason)


class StackArgs(StackValidationArgs):
    """`StackValidationArgs` with `not_applicable` as in `ResourceArgs`."""

    def not_applicable(self, reason: str | None = None) -> None:
        raise PolicyNotApplicableError(reason)


@dataclass(frozen=True)
class Verdict:
    """One violation: which policy, how hard it blocks, what to do, and which resource (None: the stack)."""

    policy_name: str
    enforcement_level: str  # "mandatory" or "advisory"
    message: str
    urn: str | None


class PlannedResourceLike(Protocol):
    urn: str
    type: str
    name: str
    parent_urn: str
    provider: str
    inputs: dict[str, Any]


class _PackModules(importlib.abc.MetaPathFinder):
    """Finds the pack's own modules (`migration_facts`, `pack_base`, ...) by their bare names in the pack's
    directory, as the CLI finds them by running the pack from there. It is asked last, after every installed
    module, and finds nothing else."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        file = self.directory / f"{name}.py"
        return importlib.util.spec_from_file_location(name, file) if "." not in name and file.is_file() else None


@cache
def load_policies_module(path: Path = POLICIES_FILE) -> ModuleType:
    """Import policy/policies.py by file path; its imports of the modules beside it resolve as under the CLI."""
    sys.meta_path.append(_PackModules(path.parent))
    spec = importlib.util.spec_from_file_location(_MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the policy pack from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[_MODULE_NAME] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


def resources_from_plan(planned: Iterable[PlannedResourceLike]) -> list[dict[str, Any]]:
    """The offline engine's records as `evaluate` takes them, each with its provider's inputs."""
    planned = list(planned)
    providers = {r.urn: r.inputs for r in planned if r.type.startswith("pulumi:providers:")}
    return [
        {
            "type": r.type,
            "name": r.name,
            "urn": r.urn,
            "props": r.inputs,
            "parent_urn": r.parent_urn or None,
            "provider": providers.get(r.provider),
        }
        for r in planned
    ]


def evaluate(
    resources: list[dict[str, Any]],
    stack_config: Mapping[str, object],
    policy_config: dict[str, Any] | None = None,
) -> list[Verdict]:
    """Every policy of the pack against the planned resources and the stack; the violations found."""
    policies: list[Policy] = load_policies_module().build_policies(stack_config.get)
    levels, settings = _policy_config(policies, policy_config or {})
    verdicts: list[Verdict] = []
    policy_resources = [policy_resource(r) for r in resources]
    _link_parents(policy_resources, resources)

    for policy in policies:
        level = levels[policy.name]
        if level == EnforcementLevel.DISABLED:
            continue
        shown = "mandatory" if level in (EnforcementLevel.MANDATORY, EnforcementLevel.REMEDIATE) else "advisory"

        def report(message: str, urn: str | None = None, *, _policy: Policy = policy, _level: str = shown) -> None:
            verdicts.append(Verdict(_policy.name, _level, message, urn))

        if isinstance(policy, ResourceValidationPolicy):
            for resource in policy_resources:
                args = ResourceArgs(
                    resource.resource_type,
                    resource.props,
                    resource.urn,
                    resource.name,
                    resource.opts,
                    resource.provider,
                    settings[policy.name],
                )
                _run(policy.validate, args, _reporter_for(resource.urn, report))
        elif isinstance(policy, StackValidationPolicy):
            _run(policy.validate, StackArgs(policy_resources, settings[policy.name]), report)
    order = {"mandatory": 0, "advisory": 1}
    return sorted(verdicts, key=lambda v: (order[v.enforcement_level], v.policy_name, v.urn or ""))


def _run(validate: Callable[[Any, Reporter], object], args: object, report: Reporter) -> None:
    """One validation, as the CLI's analyzer runs it: awaited if async; "not applicable" is not a verdict."""
    try:
        run_validation(validate, args, report)
    except PolicyNotApplicableError:
        return


def run_validation(validate: Callable[[Any, Reporter], object], args: object, report: Reporter) -> None:
    """One validation, awaited if async; `PolicyNotApplicableError` propagates (args built by this module)."""
    result = validate(args, report)
    if inspect.isawaitable(result):
        asyncio.run(_awaited(result))


async def _awaited(result: Awaitable[object]) -> None:
    await result


def _reporter_for(urn: str, report: Reporter) -> Reporter:
    """As in the CLI, a resource policy's violations always name the resource being validated."""

    def report_resource(message: str, _urn: str | None = None) -> None:
        report(message, urn)

    return report_resource


def has_mandatory_violation(verdicts: Iterable[Verdict]) -> bool:
    return any(v.enforcement_level == "mandatory" for v in verdicts)


def format_verdicts(verdicts: list[Verdict]) -> str:
    """Human-readable verdicts, mandatory first, each with the resource and what to change."""
    if not verdicts:
        return "Policy pack: no violations."
    mandatory = sum(v.enforcement_level == "mandatory" for v in verdicts)
    lines = [f"Policy pack: {mandatory} mandatory, {len(verdicts) - mandatory} advisory violation(s)"]
    for verdict in verdicts:
        lines.append(f"  [{verdict.enforcement_level}] {verdict.policy_name}  {verdict.urn or '(stack)'}")
        lines.append(f"      {verdict.message}")
    return "\n".join(lines)


# --- Building the engine's objects ----------------------------------------------------------------


def engine_props(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """Properties as the analyzer receives them: serialized to a protobuf Struct and back, proxied."""
    struct = struct_pb2.Struct()
    struct.update(serialize_properties(dict(props)))
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct)))


def policy_resource(resource: Mapping[str, Any]) -> PolicyResource:
    """A planned resource (`type`, `name`, `urn`, `props`, optional `provider` and `parent_urn`) as the analyzer
    hands it to a policy."""
    resource_type = str(resource["type"])
    provider_props = resource.get("provider")
    provider = None
    if provider_props is not None:
        provider_type = f"pulumi:providers:{resource_type.split(':', 1)[0]}"
        provider = PolicyProviderResource(provider_type, engine_props(provider_props), "", "")
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], resource.get("parent_urn"))
    props = engine_props(resource.get("props") or {})
    return PolicyResource(
        resource_type, props, str(resource["urn"]), str(resource["name"]), opts, provider, None, [], {}
    )


def _link_parents(policy_resources: list[PolicyResource], resources: list[dict[str, Any]]) -> None:
    by_urn = {r.urn: r for r in policy_resources}
    for policy_resource, resource in zip(policy_resources, resources, strict=True):
        policy_resource.parent = by_urn.get(resource.get("parent_urn") or "")


def _policy_config(
    policies: list[Policy], config: Mapping[str, Any]
) -> tuple[dict[str, EnforcementLevel], dict[str, dict[str, Any]]]:
    """Enforcement level and property settings per policy; unknown names or properties are errors."""
    known = {p.name: p for p in policies}
    for name in config:
        if name != "all" and name not in known:
            raise ValueError(f"policy config: {name!r} is not a policy of the pack (known: {', '.join(sorted(known))})")
    default_level = _level("all", config["all"]) if "all" in config else None
    levels: dict[str, EnforcementLevel] = {}
    settings: dict[str, dict[str, Any]] = {}
    for name, policy in known.items():
        entry = config.get(name)
        schema = policy.config_schema.properties if policy.config_schema else {}
        level = default_level or policy.enforcement_level or EnforcementLevel.ADVISORY
        properties: dict[str, Any] = {key: spec["default"] for key, spec in schema.items() if "default" in spec}
        if isinstance(entry, str):
            level = _level(name, entry)
        elif isinstance(entry, Mapping):
            for key, value in entry.items():
                if key == "enforcementLevel":
                    level = _level(name, value)
                elif key not in schema:
                    raise ValueError(
                        f"policy config: {name}.{key} = {value!r} is not a setting of {name}"
                        f" (settings: {', '.join(sorted(schema)) or 'none'})"
                    )
                else:
                    _check_type(f"{name}.{key}", value, schema[key])
                    properties[key] = value
        elif entry is not None:
            raise ValueError(f"policy config: {name} = {entry!r} must be an enforcement level or an object")
        levels[name], settings[name] = level, properties
    return levels, settings


def _level(name: str, value: object) -> EnforcementLevel:
    if isinstance(value, str) and value in _LEVELS:
        return _LEVELS[value]
    raise ValueError(f"policy config: {name} enforcement level {value!r} must be one of {', '.join(_LEVELS)}")


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "array": (list,),
    "object": (dict,),
}


def _check_type(path: str, value: object, spec: Mapping[str, Any]) -> None:
    """The JSON-schema checks the CLI would make for the shapes this pack uses (type, items, enum)."""
    expected = _JSON_TYPES.get(str(spec.get("type")))
    is_bool_for_number = isinstance(value, bool) and spec.get("type") in ("integer", "number")
    if expected and (not isinstance(value, expected) or is_bool_for_number):
        raise ValueError(f"policy config: {path} = {value!r} must be of type {spec['type']}")
    if "enum" in spec and value not in spec["enum"]:
        raise ValueError(f"policy config: {path} = {value!r} must be one of {spec['enum']}")
    if isinstance(value, list) and "items" in spec:
        for index, item in enumerate(value):
            _check_type(f"{path}[{index}]", item, spec["items"])
    if isinstance(value, dict) and isinstance(spec.get("additionalProperties"), Mapping):
        for key, item in value.items():
            _check_type(f"{path}.{key}", item, spec["additionalProperties"])
