"""Pulumi program of the DR project: Azure-to-Azure DR for the prepared machines of one migration wave.

Config (`migration:dr`, docs/dr.md) names the wave stack. Its outputs are read through a StackReference,
checked against the outputs contract (`components/contract.py`; an unknown `outputsVersion` stops the
run with what to do), and every machine the wave marks `drReady` gets a replicated item in the DR region.
Machines that are not ready yet are listed and left alone; a later `pulumi up` picks them up.
"""

import pulumi
from pulumi.runtime.sync_await import _sync_await

from a2a.config import DrConfigError, load_dr_config, resolve
from a2a.disaster_recovery import AzureToAzureDr, AzureToAzureDrArgs
from components.contract import READ_KEYS, ContractError, read_wave_outputs

try:
    config = load_dr_config()
    wave_stack = pulumi.StackReference(config.wave_stack)
    # Which machines to protect decides which resources exist, so the outputs are needed as plain values
    # here, not inside an `apply` (resources created in an apply go wrong in previews).
    outputs = {key: _sync_await(wave_stack.get_output_details(key)).value for key in READ_KEYS}
    wave = read_wave_outputs(outputs, config.wave_stack)
    plan = resolve(config, wave.wave, wave.location)
except (DrConfigError, ContractError) as err:
    raise pulumi.RunError(str(err)) from None

if wave.not_ready:
    pulumi.log.info(f"not DR-ready yet, not protected in this run: {', '.join(wave.not_ready)}")

dr = AzureToAzureDr(
    f"{wave.wave}-dr",
    AzureToAzureDrArgs(config=config, plan=plan, primary_network_id=wave.network_id, machines=wave.ready),
)
pulumi.export("waveStack", config.wave_stack)
pulumi.export("waveOutputsVersion", wave.version)
pulumi.export("primaryLocation", plan.primary_location)
pulumi.export("location", plan.location)
pulumi.export("vaultName", dr.name)
pulumi.export("vaultId", dr.resource_id)
pulumi.export("networkId", dr.network_id)
pulumi.export("cacheStorageAccountId", dr.cache_storage_account_id)
pulumi.export("protectedMachines", [m.name for m in wave.ready])
pulumi.export("notReadyMachines", list(wave.not_ready))
pulumi.export("protectedItemIds", dr.protected_items)
