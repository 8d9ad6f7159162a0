"""Where a new wave stands before its machines can replicate, and the operator's next step.

A modernized wave needs the appliance passphrase before any machine can register its Mobility agent, and the
passphrase only exists once the appliance that the first `pulumi up` creates has been registered by hand. So the
first `up` of a new wave creates the landing zone, the vault and the appliance host, and stops before replication:
`pending_steps` says what to do, with the values the operator needs, and `pulumi preview`, `pulumi up`, the stack
output `pendingSteps`, the offline plan and the runbook all show it. Once the secret is set, the next `up`
registers, discovers and replicates the machines, and the lifecycle starts.
"""

from __future__ import annotations

from components.config import WaveConfig
from components.secrets import NAMESPACE, WaveSecrets


def machines_can_replicate(wave: WaveConfig, secrets: WaveSecrets) -> bool:
    """Whether every staged secret is set, so that this `pulumi up` may replicate the machines."""
    return all(secrets.has(key) for key in wave.profile.staged_secrets)


def pending_steps(wave: WaveConfig, secrets: WaveSecrets) -> list[str]:
    """What the operator must do before the machines replicate; empty once nothing waits."""
    if machines_can_replicate(wave, secrets):
        return []
    steps = [
        f"Register the replication appliance on EC2 instance '{wave.appliance_host.name}' (see the stack output"
        f" appliancePrivateIp; RDP from {wave.aws.admin_cidr}): in the Azure portal, vault '{wave.azure.vault}' >"
        " Site Recovery infrastructure > ASR replication appliances > Add, generate the key, then paste it into the"
        " appliance configuration manager on the host.",
        "On the registered appliance, copy the passphrase Mobility agents register with (docs/aws-side.md), then run"
        f" `pulumi config set --secret {NAMESPACE}:appliancePassphrase <passphrase>` and `pulumi up` again: the"
        " machines are then prepared, discovered and replicated.",
    ]
    if wave.lifecycle.phase != "replicate" or any(m.phase not in (None, "replicate") for m in wave.machines):
        steps.append("The lifecycle waits too: no machine replicates yet, so no phase action runs in this `pulumi up`.")
    return steps
