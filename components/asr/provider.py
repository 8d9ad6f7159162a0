"""The base of every dynamic provider here: its diff comes from the inputs it declares, and unknowns never replace.

A provider lists the inputs whose change means another ASR object (`replacing`: the resource is replaced) and
those whose change it applies in place (`updating`). Everything else (timeouts, poll settings) never shows
as a change: `pulumi up` stores the new value and runs nothing. In preview an input that is not known yet
(an upstream resource is being created or changed) is never a reason to replace: it shows as an update,
and `pulumi up` diffs again with the real value. Delete does nothing unless a provider says otherwise: what
these resources stand for (a registration, a failover that ran, a migrated VM) is never undone by Pulumi.

Each provider also says what an offline plan shows for the outputs only the cloud can give
(`preview_outputs`): `migrate.py plan` runs the program under the mock engine, which asks the provider of
every dynamic resource (migrate_tool/offline/engine.py). Those values are marked `offline-plan` and derived from
a hash of the resource's type and name, so a plan is reproducible byte for byte; nothing else uses them.

Providers are pickled into the stack's state by reference to their class: hold no client, credential or
token on `self`, and keep the class importable under its name (docs/architecture.md).

A failed create, update or delete also writes its message as one line of its own (`components.asr.console`): the
SDK's dynamic-provider server sends the engine the whole Python traceback with the message last
(pulumi/pulumi#10416), so without it the operator's line sat only at the end of twenty lines of stack frames.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from pulumi.dynamic import CheckFailure, CheckResult, DiffResult, ResourceProvider

from components.asr import console
from components.asr.arm import vault_path
from components.asr.checks import is_unknown, required_strings

OFFLINE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
"""The subscription of every Azure id in an offline plan."""
OFFLINE_STAND_IN = "offline-plan"
"""Marks values only the cloud can give (a registration's fabric, a protected item's state) in an offline plan."""


def offline_hex(*parts: str, length: int = 17) -> str:
    """A reproducible hex string from `parts`, for the values an offline plan shows."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def offline_vault(inputs: dict[str, Any]) -> str:
    """The id of the vault a dynamic resource's inputs name, as an offline plan shows it."""
    return vault_path(OFFLINE_SUBSCRIPTION, str(inputs.get("resource_group_name")), str(inputs.get("vault_name")))


def _said_first(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as error:
            console.error(f"{type(self).__name__.removesuffix('Provider')} {method.__name__}: {error}")
            raise

    return run


class DeclaredInputsProvider(ResourceProvider):
    """`check` from `required` plus `validate`, `diff` from `replacing` and `updating`, a `delete` that forgets."""

    required: tuple[str, ...] = ()
    """Inputs that must be non-empty strings (when known)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Each subclass's own create, update and delete say their failure first (see the module docstring)."""
        super().__init_subclass__(**kwargs)
        for name in ("create", "update", "delete"):
            if name in cls.__dict__:
                setattr(cls, name, _said_first(cls.__dict__[name]))

    replacing: tuple[str, ...] = ()
    updating: tuple[str, ...] = ("version",)
    delete_before_replace = False
    """Whether a replacement removes the old object before it creates the new one."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, required_strings(news, self.required) + self.validate(news))

    def validate(self, news: dict[str, Any]) -> list[CheckFailure]:
        """Further checks of `news`; known values only (see `components.asr.checks`)."""
        return []

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        def changed(key: str) -> bool:
            return is_unknown(news.get(key)) or olds.get(key) != news.get(key)

        replaces = [k for k in self.replacing if not is_unknown(news.get(k)) and olds.get(k) != news.get(k)]
        updates = [k for k in (*self.replacing, *self.updating) if k not in replaces and changed(k)]
        return DiffResult(
            changes=bool(replaces or updates), replaces=replaces, delete_before_replace=self.delete_before_replace
        )

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Forget the record only: nothing is sent to Azure or AWS."""

    def preview_outputs(self, typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """The outputs an offline plan shows besides the inputs (see the module docstring); none by default."""
        return {}
