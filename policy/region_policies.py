"""Regions: allowed regions, one Azure region per wave, the appliance host in the machines' AWS region, DR regions."""

from __future__ import annotations

from collections.abc import Callable

from migration_facts import (  # beside this file: the facts the program imports too
    AZURE_REGION_PAIRS,
)
from pack_base import (
    AWS_PROVIDER,
    AWS_REGION_KEY,
    CONTAINER_MAPPING,
    DR_KEY,
    EC2_INSTANCE,
    PROTECTED_ITEM,
    REPLICATION_POLICY,
    RESOURCE_GROUP,
    STORAGE_ACCOUNT,
    VAULT,
    VIRTUAL_NETWORK,
    StackConfig,
    Wave,
    as_list,
    as_mapping,
    dig,
    policy_settings,
    programmatic_location,
    prop,
)
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

ALLOWED_REGIONS_SCHEMA = PolicyConfigSchema(
    properties={
        "allowedAzureRegions": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Azure regions (programmatic names such as 'westeurope') resources may be placed in;"
            " empty allows every region.",
            "default": [],
        },
        "allowedAwsRegions": {
            "type": "array",
            "items": {"type": "string"},
            "description": "AWS regions the AWS providers may target; empty allows every region.",
            "default": [],
        },
    }
)


def _allowed_regions(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    settings = policy_settings(args, ALLOWED_REGIONS_SCHEMA)
    if args.resource_type.startswith("azure-native:"):
        allowed = {loc for r in as_list(settings["allowedAzureRegions"]) if (loc := programmatic_location(r))}
        location = programmatic_location(args.props.get("location"))
        if allowed and location and location not in allowed:
            report_violation(
                f"location {args.props.get('location')!r} is not an allowed Azure region ({', '.join(sorted(allowed))});"
                " change migration:wave.azure.location.",
                None,
            )
    if args.resource_type == AWS_PROVIDER:
        allowed_aws = {str(r) for r in as_list(settings["allowedAwsRegions"])}
        region = args.props.get("region")
        if allowed_aws and isinstance(region, str) and region not in allowed_aws:
            report_violation(
                f"region {region!r} is not an allowed AWS region ({', '.join(sorted(allowed_aws))}).", None
            )


def _appliance_host_region(stack_config: StackConfig) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type != EC2_INSTANCE:
            return
        own, key = Wave.shared(stack_config)
        wave_region = dig(own.raw, "aws", "region")
        if not isinstance(wave_region, str):
            return  # not a wave or foundation stack, or a wave on a foundation (it declares no host)
        provider_region = args.provider.props.get("region") if args.provider is not None else None
        host_region = provider_region if isinstance(provider_region, str) else stack_config(AWS_REGION_KEY)
        if not isinstance(host_region, str):
            report_violation(
                f"the appliance host's AWS region is not set (no explicit provider region, no aws:region); the wave's"
                f" machines are in {wave_region!r}.",
                None,
            )
        elif host_region != wave_region:
            report_violation(
                f"the appliance host is created in {host_region!r} but the wave's machines are in {wave_region!r}"
                f" ({key}.aws.region); the machines replicate through the appliance in their own region.",
                None,
            )

    return validate


def _single_azure_region(stack_config: StackConfig) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        if as_mapping(stack_config(DR_KEY)):
            # A DR stack spans two regions by design (its A2A cache account stays in the source region);
            # dr-region-differs and dr-region-paired judge it instead.
            args.not_applicable("a DR stack (migration:dr) spans the primary and the DR region")
        located = [
            (r, programmatic_location(prop(r, "location")))
            for r in args.resources
            if r.resource_type.startswith("azure-native:")
        ]
        located = [(r, loc) for r, loc in located if loc]
        if not located:
            return
        own, key = Wave.shared(stack_config)
        expected = programmatic_location(dig(own.raw, "azure", "location"))
        source = f"{key}.azure.location"
        vaults = [loc for r, loc in located if r.resource_type == VAULT]
        if expected is None and vaults:
            expected, source = vaults[0], "the vault"
        if expected is None:
            expected, source = located[0][1], f"{located[0][0].resource_type} '{located[0][0].name}'"
        for resource, location in located:
            if location != expected:
                report_violation(
                    f"{resource.resource_type} '{resource.name}' is in {location!r}, but the wave's Azure resources are in"
                    f" {expected!r} ({source}); vault, storage account, networks and resource group must share one region.",
                    resource.urn,
                )

    return validate


def _dr_regions(args: StackValidationArgs, stack_config: StackConfig) -> tuple[str, str]:
    """(primary, DR) for a DR stack; marks the policy not applicable on a migration wave."""
    dr = as_mapping(stack_config(DR_KEY))
    primary = programmatic_location(dr.get("primaryLocation")) or programmatic_location(
        dig(Wave.read(stack_config).raw, "azure", "location")
    )
    target = programmatic_location(dr.get("location"))
    if not dr or not primary or not target:
        args.not_applicable("not a DR stack (migration:dr with location, and a primary location, are not both set)")
    return str(primary), str(target)


def _dr_region_differs(stack_config: StackConfig) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        primary, target = _dr_regions(args, stack_config)
        if primary == target:
            report_violation(
                f"migration:dr.location {target!r} is the primary region; a regional outage would take both copies."
                f" Choose another region{f', such as the pair {AZURE_REGION_PAIRS[primary]!r}' if primary in AZURE_REGION_PAIRS else ''}.",
                None,
            )

    return validate


def _dr_region_paired(stack_config: StackConfig) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        primary, target = _dr_regions(args, stack_config)
        if primary == target or AZURE_REGION_PAIRS.get(primary) == target or AZURE_REGION_PAIRS.get(target) == primary:
            return
        pair = AZURE_REGION_PAIRS.get(primary)
        hint = f"its pair is {pair!r}" if pair else "it has no paired region, so choose by data residency and latency"
        report_violation(
            f"migration:dr.location {target!r} is not the Azure paired region of {primary!r} ({hint}); paired regions"
            " get sequential updates and prioritized recovery in a geography-wide outage.",
            None,
        )

    return validate


SHARED_TYPES = (
    RESOURCE_GROUP,
    STORAGE_ACCOUNT,
    VIRTUAL_NETWORK,
    VAULT,
    REPLICATION_POLICY,
    CONTAINER_MAPPING,
    EC2_INSTANCE,
)
"""What a foundation declares once for all its waves."""


def _wave_shares_its_foundation(stack_config: StackConfig) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        if not Wave.read(stack_config).on_foundation:
            args.not_applicable("not a wave on a foundation (migration:wave.foundation)")
        for resource in args.resources:
            if resource.resource_type in SHARED_TYPES:
                report_violation(
                    f"{resource.resource_type} '{resource.name}' is declared by a wave on a foundation; the foundation"
                    " declares the resource group, cache account, networks, vault, policy, mapping and appliance hosts"
                    " once for every wave (migration:wave.foundation).",
                    resource.urn,
                )
        vaults = {str(prop(r, "resourceName")) for r in args.resources if r.resource_type == PROTECTED_ITEM}
        vaults.discard("None")
        if len(vaults) > 1:
            report_violation(
                f"the wave's machines replicate into several vaults ({', '.join(sorted(vaults))}); a wave on a"
                " foundation replicates into the foundation's one vault.",
                None,
            )

    return validate


def region_policies(stack_config: StackConfig) -> list[Policy]:
    """This family's policies, in the pack's order."""
    mandatory, advisory = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY
    return [
        ResourceValidationPolicy(
            name="allowed-regions",
            description="Resources may only target the regions the platform team allows (pack config"
            " allowedAzureRegions / allowedAwsRegions); move the wave to an allowed region.",
            validate=_allowed_regions,
            enforcement_level=mandatory,
            config_schema=ALLOWED_REGIONS_SCHEMA,
        ),
        StackValidationPolicy(
            name="wave-single-azure-region",
            description="All Azure resources of one wave (vault, storage account, networks, resource group) must be in"
            " the wave's region, migration:wave.azure.location.",
            validate=_single_azure_region(stack_config),
            enforcement_level=mandatory,
        ),
        ResourceValidationPolicy(
            name="appliance-host-region",
            description="The replication appliance host must run in the AWS region of the wave's machines"
            " (migration:wave.aws.region); point the AWS provider at that region.",
            validate=_appliance_host_region(stack_config),
            enforcement_level=mandatory,
        ),
        StackValidationPolicy(
            name="wave-shares-its-foundation",
            description="A wave on a foundation declares none of what its foundation shares (resource group, cache"
            " account, networks, vault, policy, mapping, appliance hosts) and replicates into its one vault.",
            validate=_wave_shares_its_foundation(stack_config),
            enforcement_level=mandatory,
        ),
        StackValidationPolicy(
            name="dr-region-differs",
            description="A DR stack must replicate to another region than the primary (migration:dr.location).",
            validate=_dr_region_differs(stack_config),
            enforcement_level=mandatory,
        ),
        StackValidationPolicy(
            name="dr-region-paired",
            description="A DR stack should replicate to the Azure paired region of the primary (migration:dr.location).",
            validate=_dr_region_paired(stack_config),
            enforcement_level=advisory,
        ),
    ]
