"""The wave's secrets: separate `secure:` config values that stay Pulumi secrets end to end.

They are never part of `migration:wave` (so they cannot end up in a pydantic model, a plan file or
a log). Which ones a wave needs depends on the architecture:

| key (namespace `migration`) | modernized | classic | what it is |
|---|---|---|---|
| `vaultRegistrationKey` | optional | yes | modernized: the appliance key generated in the vault (pasted into the appliance by hand; kept in the appliance secret if set); classic: the contents of the vault credentials file |
| `appliancePassphrase` | staged | yes | the passphrase Mobility agents use to register with the appliance or configuration server |
| `mysqlRootPassword` | no | yes | classic configuration server's MySQL root password |
| `mysqlUserPassword` | no | yes | classic configuration server's MySQL user password |

*Staged* (components/stages.py): the modernized passphrase only exists once the appliance that the first
`pulumi up` creates is registered, so the first `up` needs no secret at all and stops before replication; the
next `up`, after `pulumi config set --secret`, carries on. Classic runs only on a vault that already exists,
whose credentials file and configuration server secrets can be had before the first `up`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.architecture import profile
from components.config import MISSING, ConfigProblem, WaveConfigError

NAMESPACE = "migration"


@dataclass(frozen=True)
class WaveSecrets:
    """Secret config values as secret Outputs; `values` maps each config key that is set to its Output."""

    values: dict[str, pulumi.Output[str]]

    def get(self, key: str) -> pulumi.Output[str]:
        return self.values[key]

    def has(self, key: str) -> bool:
        return key in self.values


def load_secrets(architecture: str, config: pulumi.Config | None = None) -> WaveSecrets:
    """Read the architecture's secrets; every missing one is reported at once, before any resource."""
    config = config or pulumi.Config(NAMESPACE)
    keys = profile(architecture).required_secrets
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
    present = [key for key in profile(architecture).known_secrets if config.get_secret(key) is not None]
    return WaveSecrets({key: config.require_secret(key) for key in present})
