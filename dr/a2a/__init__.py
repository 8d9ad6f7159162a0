"""The DR project's own code (Azure-to-Azure replication of a wave's prepared machines).

The DR project shares the repository's `components` package (the outputs contract, the region pairs and
the ASR client layer). Pulumi runs this project, and its dynamic provider host, from `dr/`, so the
repository root is appended to `sys.path` here, once, on first import. Appending (not prepending) keeps
`dr/` first; nothing else happens at import time.

The package is not named `components` because that name is taken by the package it imports.
"""

from __future__ import annotations

import sys
from pathlib import Path

_REPOSITORY_ROOT = str(Path(__file__).resolve().parents[2])
if _REPOSITORY_ROOT not in sys.path:
    sys.path.append(_REPOSITORY_ROOT)
