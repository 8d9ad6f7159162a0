"""Wave configs for tests: the issue's example wave, and generated waves of any size."""

from __future__ import annotations

import copy
from typing import Any

EXAMPLE_WAVE: dict[str, Any] = {
    "name": "wave1",
    "architecture": "modernized",
    "tags": {"owner": "platform-team", "costCenter": "4711"},
    "azure": {
        "location": "westeurope",
        "resourceGroup": "migrationRG",
        "storageAccount": "awsmigrated2017",
        "vault": "myVault",
        "network": {
            "name": "myMigrationNetwork",
            "addressSpace": ["10.0.0.0/16"],
            "subnets": [{"name": "default", "prefix": "10.0.0.0/24"}],
        },
        "replicationPolicy": {"name": "myReplicationPolicy"},
    },
    "aws": {
        "region": "eu-west-1",
        "vpcId": "vpc-0a1b2c3d4e5f60718",
        "subnetId": "subnet-0a1b2c3d4e5f60718",
        "adminCidr": "203.0.113.0/24",
        "applianceHost": {"name": "asr-appliance-01"},
    },
    "machines": [
        {"name": "web01", "instanceId": "i-0123456789abcdef0", "privateIp": "172.31.10.11", "os": "windows"},
        {"name": "db01", "instanceId": "i-0fedcba9876543210", "privateIp": "172.31.10.12", "os": "linux"},
    ],
}

CLASSIC_VAULT_GROUP = "rg-classic-vault"
"""Where the test waves' classic vault already exists (classic is refused on a vault the stack creates)."""

CLASSIC_INSTALLERS = "s3://classic-asr-agents/repository/"

SECRETS = {
    "migration:vaultRegistrationKey": "vault-key-Zq83-DO-NOT-LEAK",
    "migration:appliancePassphrase": "passphrase-Kx91-DO-NOT-LEAK",
    "migration:mysqlRootPassword": "mysql-root-Wd17-DO-NOT-LEAK",
    "migration:mysqlUserPassword": "mysql-user-Pt44-DO-NOT-LEAK",
}


def wave(machines: int | None = None, **overrides: Any) -> dict[str, Any]:
    """A deep copy of the example wave; `machines=N` generates N distinct mixed machines."""
    raw = copy.deepcopy(EXAMPLE_WAVE)
    if machines is not None:
        raw["machines"] = [
            {
                "name": f"vm{n:04d}",
                "instanceId": f"i-{n:017x}",
                "privateIp": f"172.31.{n // 250}.{n % 250 + 4}",
                "os": "windows" if n % 2 else "linux",
            }
            for n in range(machines)
        ]
    raw.update(overrides)
    if raw.get("architecture") == "classic":  # only a vault that already runs classic accepts it,
        raw["azure"].setdefault("existingVaultResourceGroup", CLASSIC_VAULT_GROUP)
        raw["aws"].setdefault("mobilityInstallerS3Uri", CLASSIC_INSTALLERS)  # and agents come through SSM
    return raw
