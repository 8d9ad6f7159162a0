"""The wave's secrets: separate `secure:` config values that stay Pulumi secrets end to end.

They are never part of `migration:wave` (so they cannot end up in a pydantic model, a plan file or
a log). Which ones a wave needs depends on the architecture:

| key (namespace `migration`) | modernized | classic | what it is |
|---|---|---|---|
| `vaultRegistrationKey` | yes | yes | modernized: the appliance registration key generated in the vault; classic: the contents of the vault credentials file |
| `appliancePassphrase` | yes | yes | the passphrase Mobility agents use to register with the appliance or configuration server |
| `mysqlRootPassword` | no | yes | classic configuration server's MySQL root password |
| `mysqlUserPassword` | no | yes | classic configuration server's MySQL user password |
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.config import MISSING, ConfigProblem, WaveConfigError

NAMESPACE = "migration"
COMMON_SECRETS = ("vaultRegistrationKey", "appliancePassphrase")
CLASSIC_SECRETS = ("mysqlRootPassword", "mysqlUserPassword")


def required_secret_keys(architecture: str) -> tuple[str, ...]:
    return COMMON_SECRETS + (CLASSIC_SECRETS if architecture == "classic" else ())


@dataclass(frozen=True)
class WaveSecrets:
    """Secret config values as secret Outputs; `values` maps the config key to its Output."""

    values: dict[str, pulumi.Output[str]]

    def get(self, key: str) -> pulumi.Output[str]:
        return self.values[key]


def load_secrets(architecture: str, config: pulumi.Config | None = None) -> WaveSecrets:
    """Read the architecture's secrets; every missing one is reported at once, before any resource."""
    config = config or pulumi.Config(NAMESPACE)
    keys = required_secret_keys(architecture)
    missing = [key for key in keys if config.get_secret(key) is None]
    if missing:
        raise WaveConfigError(
            [
                ConfigProblem(
                    f"{NAMESPACE}:{key}",
                    MISSING,
                    f"is required for the {architecture} architecture; set it with"
                    f" `pulumi config set --secret {NAMESPACE}:{key} <value>`",
                )
                for key in missing
            ]
        )
    return WaveSecrets({key: config.require_secret(key) for key in keys})
