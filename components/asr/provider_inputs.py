"""The replication-provider inputs the ASR actions send, per architecture: the one place that picks the SDK's
`InMageRcm...` or `InMageAzureV2...` model.

`components/architecture.py` holds every other fact that differs between modernized and classic and imports no
cloud SDK; these typed inputs are built here, from the ASR SDK's models, and the actions ask
`provider_inputs(architecture)` for them. (The azure-native inputs of the policy and the protected item are the
component side's, in `components/replication.py`.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure.mgmt.recoveryservicessiterecovery import models

from components.architecture import profile


@dataclass(frozen=True)
class ProviderInputs:
    test_failover: Callable[[str, str], Any]
    """(recovery point id, test network id) -> the test failover's `providerSpecificDetails`."""
    failover: Callable[[str, bool], Any]
    """(recovery point id, shut the source down) -> the unplanned failover's `providerSpecificDetails`."""
    plan_failover: Callable[[str], Any]
    """(recovery point type) -> a recovery plan failover's provider-specific input."""
    static_ip: Callable[[str, str | None, str, str], models.UpdateReplicationProtectedItemInputProperties]
    """(NIC id, its ipConfig name, subnet, IP) -> the item update that gives the replica (and the test failover VM,
    in the mirrored test network) that static IP."""
    switch_appliance: Callable[[], Any] | None
    """() -> the appliance switch's `providerSpecificDetails` (no run-as account: the agents came through SSM);
    None: the architecture has no pool of appliances (a classic configuration server is a fabric of its own)."""


def _rcm_static_ip(
    nic_id: str, _ip_config: str | None, subnet: str, ip: str
) -> models.UpdateReplicationProtectedItemInputProperties:
    nic = models.InMageRcmNicInput(
        nic_id=nic_id, is_primary_nic="true", target_subnet_name=subnet, target_static_ip_address=ip,
        test_subnet_name=subnet, test_static_ip_address=ip,
    )  # fmt: skip
    specific = models.InMageRcmUpdateReplicationProtectedItemInput(vm_nics=[nic])
    return models.UpdateReplicationProtectedItemInputProperties(provider_specific_details=specific)


def _classic_static_ip(
    nic_id: str, ip_config: str | None, subnet: str, ip: str
) -> models.UpdateReplicationProtectedItemInputProperties:
    """InMageAzureV2 keeps the NICs outside its provider input, per ipConfig."""
    config = models.IPConfigInputDetails(
        ip_config_name=ip_config, is_primary=True, recovery_subnet_name=subnet, recovery_static_ip_address=ip,
        tfo_subnet_name=subnet, tfo_static_ip_address=ip,
    )  # fmt: skip
    nic = models.VMNicInputDetails(nic_id=nic_id, selection_type="SelectedByUser", ip_configs=[config])
    return models.UpdateReplicationProtectedItemInputProperties(vm_nics=[nic])


_INPUTS = {
    "modernized": ProviderInputs(
        test_failover=lambda point, network: models.InMageRcmTestFailoverInput(
            network_id=network, recovery_point_id=point
        ),
        failover=lambda point, shutdown: models.InMageRcmUnplannedFailoverInput(
            perform_shutdown="true" if shutdown else "false", recovery_point_id=point
        ),
        plan_failover=lambda kind: models.RecoveryPlanInMageRcmFailoverInput(recovery_point_type=kind),
        static_ip=_rcm_static_ip,
        switch_appliance=models.InMageRcmUpdateApplianceForReplicationProtectedItemInput,
    ),
    "classic": ProviderInputs(
        # The test network is the request's own `networkId`, the source shutdown its `sourceSiteOperations`.
        test_failover=lambda point, _network: models.InMageAzureV2TestFailoverInput(recovery_point_id=point),
        failover=lambda point, _shutdown: models.InMageAzureV2UnplannedFailoverInput(recovery_point_id=point),
        plan_failover=lambda kind: models.RecoveryPlanInMageAzureV2FailoverInput(recovery_point_type=kind),
        static_ip=_classic_static_ip,
        switch_appliance=None,
    ),
}


def provider_inputs(architecture: str) -> ProviderInputs:
    """The inputs of `modernized` or `classic`; the profile's clear error for anything else."""
    return _INPUTS[profile(architecture).name]
