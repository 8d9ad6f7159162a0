"""The DR project's own code (Azure-to-Azure replication of a wave's prepared machines).

It is part of this repository's installable package (pyproject.toml), with `components` (the outputs
contract, the region pairs, the ASR client layer), which it imports, and `migrate_tool`, whose offline DR
plan runs it; the DR project (`dr/`) and its dynamic provider host find it installed in `../.venv`. Its
dynamic provider is pickled into DR stacks as `a2a.protection_container`: the module keeps that path.

The package is not named `components` because that name is taken by the package it imports.
"""
