"""Deliberately broken dynamic resources, defined here so that dill pickles them by value (test doubles):

* `strict-check`: a check that wants a string and so refuses the unknown a preview passes;
* `leak`: a provider that copies a secret input into an output of another name, which the engine then stores in
  plain text (what `additional_secret_outputs` exists to prevent).
"""

from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, Resource, ResourceProvider


class Named(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("named", {"name": "rg-broken"})


class StrictCheck(ResourceProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        value = news.get("name")
        return CheckResult(
            news, [] if isinstance(value, str) else [CheckFailure("name", f"{value!r} must be a string")]
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("strict", props)


class Leak(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("leak", {"copy": props["token"]})


class Thing(Resource, module="broken", name="Thing"):
    name: pulumi.Output[str]

    def __init__(self, name: str, provider: ResourceProvider, props: dict[str, Any]) -> None:
        super().__init__(provider, name, props)


config = pulumi.Config()
if config.require("case") == "strict-check":
    named = Thing("named", Named(), {"name": None})
    Thing("strict", StrictCheck(), {"name": named.name})  # unknown in a preview: `named` is not created yet
else:
    Thing("leak", Leak(), {"token": config.require_secret("token"), "copy": None})
