"""Azure and AWS naming rules, as plain functions that return the broken rule or None.

Each rule quotes its limit from Microsoft's "Naming rules and restrictions for Azure resources"
(azure-resource-manager/management/resource-name-rules.md) or the EC2 API reference, so that the
config validator, the policy pack and the `discover` command all reject the same names for the same
reason. A function returns ``None`` when the name is valid, else the rule in words.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import botocore.session

from components.migration_facts import (  # the pack's and the program's one copy of Azure's naming rules
    replication_policy_rule,
    resource_group_rule,
    storage_account_rule,
    subnet_rule,
    vault_rule,
    virtual_network_rule,
    vm_name_rule,
)

__all__ = [
    "AZURE_REGIONS",
    "MANAGED_BY",
    "MAX_USER_TAGS",
    "WAVE_TAG",
    "aws_region_rule",
    "aws_regions",
    "azure_region_rule",
    "ec2_id_rule",
    "replication_policy_rule",
    "resource_group_rule",
    "storage_account_rule",
    "subnet_rule",
    "tag_rule",
    "tool_tags",
    "vault_rule",
    "virtual_network_rule",
    "vm_name_rule",
    "wave_name_rule",
]

# Programmatic names of Azure public, US Government and China regions (az account list-locations,
# 2026). Kept by hand because no Azure SDK ships the list offline.
AZURE_REGIONS: frozenset[str] = frozenset(
    """
    australiacentral australiacentral2 australiaeast australiasoutheast austriaeast belgiumcentral
    brazilsouth brazilsoutheast canadacentral canadaeast centralindia centralus chilecentral
    denmarkeast eastasia eastus eastus2 francecentral francesouth germanynorth germanywestcentral
    indonesiacentral israelcentral italynorth japaneast japanwest jioindiacentral jioindiawest
    koreacentral koreasouth malaysiawest mexicocentral newzealandnorth northcentralus northeurope
    norwayeast norwaywest polandcentral qatarcentral southafricanorth southafricawest
    southcentralus southeastasia southindia spaincentral swedencentral swedensouth
    switzerlandnorth switzerlandwest uaecentral uaenorth uksouth ukwest westcentralus westeurope
    westindia westus westus2 westus3
    usgovarizona usgovtexas usgovvirginia usdodcentral usdodeast
    chinaeast chinaeast2 chinaeast3 chinanorth chinanorth2 chinanorth3
    """.split()
)


@functools.cache
def aws_regions() -> frozenset[str]:
    """EC2 regions of every AWS partition, from botocore's bundled endpoint data (no network)."""
    session = botocore.session.get_session()
    return frozenset(
        region
        for partition in ("aws", "aws-us-gov", "aws-cn")
        for region in session.get_available_regions("ec2", partition_name=partition)
    )


def azure_region_rule(value: str) -> str | None:
    if value in AZURE_REGIONS:
        return None
    hint = value.replace(" ", "").lower()
    suggestion = f" (did you mean '{hint}'?)" if hint in AZURE_REGIONS else ""
    return f"must be a known Azure region name such as 'westeurope'{suggestion}"


def aws_region_rule(value: str) -> str | None:
    if value in aws_regions():
        return None
    return "must be a known AWS region name such as 'eu-west-1'"


def wave_name_rule(value: str) -> str | None:
    if re.fullmatch(r"[a-z][a-z0-9-]{0,19}", value):
        return None
    return "must be 1-20 lowercase letters, digits or hyphens and start with a letter"


def ec2_id_rule(value: str, prefix: str) -> str | None:
    if re.fullmatch(rf"{prefix}-([0-9a-f]{{8}}|[0-9a-f]{{17}})", value):
        return None
    return f"must be '{prefix}-' followed by 8 or 17 lowercase hexadecimal digits"


# The wave's tags go to Azure resources and to EC2 instances, IAM roles, instance profiles, SSM
# documents and a Secrets Manager secret, so a tag must satisfy all of them. IAM is the strictest on
# characters (Unicode letters, digits, spaces and `_ . : / = + - @`, IAM API reference, Tag), Azure on
# key characters (no `< > % & \\ ? /`, azure-resource-manager/management/tag-resources.md); both cap a
# key at 128 and a value at 256 characters and a resource at 50 tags.
WAVE_TAG = "migration-wave"
"""The tag naming a resource's wave, on everything a wave (or its DR stack) creates, and on the source instances."""
MANAGED_BY = {"managed-by": "pulumi-asr-migration"}
"""The tag saying which tool manages a resource."""


def tool_tags(wave: str) -> dict[str, str]:
    """The two tags the tool adds to a wave's resources (on top of the user's)."""
    return {WAVE_TAG: wave, **MANAGED_BY}


MAX_USER_TAGS = 48
"""50 tags per resource (Azure and AWS), less the two the tool adds (`migration-wave`, `managed-by`)."""

_TAG_PUNCTUATION_KEY = set("_.:=+-@")
_TAG_PUNCTUATION_VALUE = _TAG_PUNCTUATION_KEY | {"/"}


def _tag_characters_ok(text: str, punctuation: set[str]) -> bool:
    return all(c.isalnum() or unicodedata.category(c).startswith("Z") or c in punctuation for c in text)


def tag_rule(key: str, value: str) -> str | None:
    """The stricter of Azure's and AWS's (EC2, IAM, Secrets Manager) tag rules; None when both accept it."""
    if not key or len(key) > 128:
        return "tag names must be 1-128 characters"
    if not _tag_characters_ok(key, _TAG_PUNCTUATION_KEY):
        return "tag names may hold only letters, digits, spaces and _ . : = + - @ (Azure and IAM both accept these)"
    if key.lower().startswith(("aws:", "azure", "microsoft", "windows")):
        return "tag names must not start with aws:, azure, microsoft or windows (reserved prefixes)"
    if len(value) > 256:
        return "tag values must be at most 256 characters"
    if not _tag_characters_ok(value, _TAG_PUNCTUATION_VALUE):
        return "tag values may hold only letters, digits, spaces and _ . : / = + - @ (IAM refuses anything else)"
    return None
