"""Deliberately broken dynamic providers and a tiny program using them: proof that the engine-faithful tests fail
on the mistakes they exist to catch (a check that rejects unknowns, a diff that replaces on an unknown)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_azure_native as azure_native
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, Resource, ResourceProvider

from migrate_tool.offline.engine import ProgramRun, RecordingMonitor, run_program


class StrictCheckProvider(ResourceProvider):
    """Its check wants a string, and so refuses the unknown a preview passes."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        value = news.get("resource_group_name")
        failures = (
            [] if isinstance(value, str) else [CheckFailure("resource_group_name", f"{value!r} must be a string")]
        )
        return CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("ran-once", props)


class NaiveDiffProvider(StrictCheckProvider):
    """Its check is right, but its diff replaces whenever a value differs, an unknown included."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        differs = olds.get("resource_group_name") != news.get("resource_group_name")
        return DiffResult(changes=differs, replaces=["resource_group_name"] if differs else [])


class Broken(Resource, module="broken", name="Action"):
    def __init__(self, name: str, provider: ResourceProvider, resource_group_name: pulumi.Input[str]) -> None:
        super().__init__(provider, name, {"resource_group_name": resource_group_name})


def run(
    raw: dict[str, Any], _secrets: Any, stack: str, *, monitor: RecordingMonitor, preview: bool, **_: Any
) -> ProgramRun:
    """A resource group and one action bound to its name (an output: unknown in preview while the group changes)."""

    def program() -> None:
        group = azure_native.resources.ResourceGroup("rg", resource_group_name="rg-broken", tags=raw["tags"])
        provider = StrictCheckProvider() if raw["provider"] == "strict-check" else NaiveDiffProvider()
        Broken("action", provider, group.name)

    return run_program(program, "broken", stack, {"broken:raw": json.dumps(raw)}, [], monitor=monitor, preview=preview)
