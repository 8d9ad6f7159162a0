"""Azure region pairs: the default DR region of a primary region.

The table is `components/migration_facts.py`'s (the pack's copy is the same file) (Microsoft Learn, "Azure region pairs and nonpaired regions"), the
one the policy pack checks DR regions against.
"""

from __future__ import annotations

from components.migration_facts import AZURE_REGION_PAIRS as AZURE_REGION_PAIRS


def normalize_location(location: str) -> str:
    """Azure's programmatic region name: 'West Europe' and 'westeurope' are the same region."""
    return location.replace(" ", "").lower()


def paired_region(location: str) -> str | None:
    """The Azure paired region of `location` (any spelling), or None when the region has no pair."""
    return AZURE_REGION_PAIRS.get(normalize_location(location))
