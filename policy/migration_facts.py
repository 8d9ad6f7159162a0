"""Facts the policy pack and the program must agree on: one dependency-free module, kept as two identical files.

The pack must stay publishable on its own, with nothing but pulumi-policy, so it has its own copy
(`policy/migration_facts.py`, imported as `migration_facts` from the pack's directory) and the program has
`components/migration_facts.py`. tests/policy/test_migration_facts.py fails when the two differ: change one,
copy it over the other. The facts: the Azure naming rules, the Azure region pairs, the type tokens of the
program's dynamic resources and the result words of its action records.
"""

from __future__ import annotations

import re

# --- Azure naming rules --------------------------------------------------------------------------------------
# Each returns None for a valid name, else the broken rule in words. The limits are Microsoft's "Naming rules and
# restrictions for Azure resources" (azure-resource-manager/management/resource-name-rules.md).


def storage_account_rule(value: str) -> str | None:
    if re.fullmatch(r"[a-z0-9]{3,24}", value):
        return None
    return "must be 3-24 lowercase letters or digits (globally unique in Azure)"


def resource_group_rule(value: str) -> str | None:
    if re.fullmatch(r"[\w.()-]{1,90}", value) and not value.endswith("."):
        return None
    return "must be 1-90 letters, digits, underscores, hyphens, periods or parentheses, and must not end with a period"


def vault_rule(value: str) -> str | None:
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{1,49}", value):
        return None
    return "must be 2-50 letters, digits or hyphens and start with a letter"


def virtual_network_rule(value: str) -> str | None:
    if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?", value) and len(value) >= 2:
        return None
    return (
        "must be 2-64 ASCII letters, digits, underscores, periods or hyphens,"
        " start with a letter or digit and end with a letter, digit or underscore"
    )


def subnet_rule(value: str) -> str | None:
    if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?", value):
        return None
    return (
        "must be 1-80 ASCII letters, digits, underscores, periods or hyphens,"
        " start with a letter or digit and end with a letter, digit or underscore"
    )


def replication_policy_rule(value: str) -> str | None:
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,63}", value):
        return None
    return "must be 1-64 letters, digits or hyphens and start with a letter"


def vm_name_rule(value: str, os: str) -> str | None:
    """Azure VM name that is also a valid computer name for the guest OS.

    Windows computer names are at most 15 characters (NetBIOS), may not be all digits and may not
    contain periods; Linux host names may be up to 64. Both: letters, digits and inner hyphens.
    """
    limit = 15 if os == "windows" else 64
    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?", value):
        return "must be letters, digits and hyphens, and start and end with a letter or digit"
    if len(value) > limit:
        return f"must be at most {limit} characters for a {os} machine (it becomes the computer name)"
    if value.isdigit():
        return "must not be only digits"
    return None


# --- Azure region pairs --------------------------------------------------------------------------------------
# Microsoft Learn, "Azure region pairs and nonpaired regions" (https://learn.microsoft.com/azure/reliability/
# regions-paired). Most pairs are two-way. A few are one-way (West US 3 -> East US, Brazil South -> South Central
# US, West India -> South India, US Gov Arizona -> US Gov Texas): the key is the region that has the pair.
# Regions without a pair (for example Qatar Central, Poland Central, Italy North) are absent.

AZURE_REGION_PAIRS: dict[str, str] = {
    "eastus": "westus",
    "westus": "eastus",
    "eastus2": "centralus",
    "centralus": "eastus2",
    "northcentralus": "southcentralus",
    "southcentralus": "northcentralus",
    "westus2": "westcentralus",
    "westcentralus": "westus2",
    "westus3": "eastus",
    "canadacentral": "canadaeast",
    "canadaeast": "canadacentral",
    "brazilsouth": "southcentralus",
    "brazilsoutheast": "brazilsouth",
    "northeurope": "westeurope",
    "westeurope": "northeurope",
    "uksouth": "ukwest",
    "ukwest": "uksouth",
    "francecentral": "francesouth",
    "francesouth": "francecentral",
    "germanywestcentral": "germanynorth",
    "germanynorth": "germanywestcentral",
    "switzerlandnorth": "switzerlandwest",
    "switzerlandwest": "switzerlandnorth",
    "norwayeast": "norwaywest",
    "norwaywest": "norwayeast",
    "swedencentral": "swedensouth",
    "swedensouth": "swedencentral",
    "eastasia": "southeastasia",
    "southeastasia": "eastasia",
    "japaneast": "japanwest",
    "japanwest": "japaneast",
    "koreacentral": "koreasouth",
    "koreasouth": "koreacentral",
    "australiaeast": "australiasoutheast",
    "australiasoutheast": "australiaeast",
    "australiacentral": "australiacentral2",
    "australiacentral2": "australiacentral",
    "centralindia": "southindia",
    "southindia": "centralindia",
    "westindia": "southindia",
    "jioindiawest": "jioindiacentral",
    "jioindiacentral": "jioindiawest",
    "southafricanorth": "southafricawest",
    "southafricawest": "southafricanorth",
    "uaenorth": "uaecentral",
    "uaecentral": "uaenorth",
    "chinanorth": "chinaeast",
    "chinaeast": "chinanorth",
    "chinanorth2": "chinaeast2",
    "chinaeast2": "chinanorth2",
    "chinanorth3": "chinaeast3",
    "chinaeast3": "chinanorth3",
    "usgovvirginia": "usgovtexas",
    "usgovtexas": "usgovvirginia",
    "usgovarizona": "usgovtexas",
    "usdodcentral": "usdodeast",
    "usdodeast": "usdodcentral",
}


def normalize_location(location: str) -> str:
    """Azure's programmatic region name: 'West Europe' and 'westeurope' are the same region."""
    return location.replace(" ", "").lower()


def paired_region(location: str) -> str | None:
    """The Azure paired region of `location` (any spelling), or None when the region has no pair."""
    return AZURE_REGION_PAIRS.get(normalize_location(location))


# --- The program's dynamic resources and their records -------------------------------------------------------

ASR_DYNAMIC_PREFIX = "pulumi-python:dynamic/asr:"
"""Type token prefix of the ASR dynamic resources (`Resource` subclasses declared with `module="asr"`)."""
LIFECYCLE_DYNAMIC_PREFIX = "pulumi-python:dynamic/lifecycle:"
WAVE_TEST_FAILOVER = ASR_DYNAMIC_PREFIX + "WaveTestFailover"
WAVE_TEST_FAILOVER_CLEANUP = ASR_DYNAMIC_PREFIX + "WaveTestFailoverCleanup"
WAVE_FAILOVER = ASR_DYNAMIC_PREFIX + "WaveFailover"
WAVE_COMPLETE_MIGRATION = ASR_DYNAMIC_PREFIX + "WaveCompleteMigration"
PLAN_TEST_FAILOVER = ASR_DYNAMIC_PREFIX + "PlanTestFailover"
PLAN_TEST_FAILOVER_CLEANUP = ASR_DYNAMIC_PREFIX + "PlanTestFailoverCleanup"
PLAN_FAILOVER = ASR_DYNAMIC_PREFIX + "PlanFailover"
VAULT_SETTING = ASR_DYNAMIC_PREFIX + "VaultSetting"
FAILOVER_COMMIT = ASR_DYNAMIC_PREFIX + "FailoverCommit"
"""Nothing in a migration wave declares it (a migration ends with Complete Migration): the token a commit action
would carry, which `no-commit-on-migration` refuses on a wave stack."""

DONE_RESULTS = frozenset({"Succeeded", "Attached", "AlreadyDone", "NothingToCleanUp"})
"""An action record's `result` when the step is done: its job succeeded (`Attached`: to a job already running
when the action started), ASR showed it done already, or a cleanup found nothing to clean up."""
FAILED_RESULTS = frozenset({"Failed", "Refused"})
"""A record's `result` when the step did not succeed: the job failed or could not be followed, or nothing was
sent (the lifecycle's `WaveOutcome` then fails the `pulumi up`)."""
