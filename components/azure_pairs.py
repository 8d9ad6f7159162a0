"""Azure region pairs: the default DR region of a primary region.

Source: Microsoft Learn, "Azure region pairs and nonpaired regions"
(https://learn.microsoft.com/azure/reliability/regions-paired). Most pairs are two-way. A few are
one-way (West US 3 -> East US, Brazil South -> South Central US, West India -> South India,
US Gov Arizona -> US Gov Texas): the key is the region that has the pair. Regions without a pair
(for example Qatar Central, Poland Central, Italy North) are absent.

The policy pack (`policy/policies.py`, `AZURE_REGION_PAIRS`) keeps its own copy because it must stay
self-contained; `tests/dr/test_azure_pairs.py` fails when the two disagree.
"""

from __future__ import annotations

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
