"""The DR project runs from `dr/`: its package `a2a` is importable the way Pulumi imports it."""

from __future__ import annotations

import sys
from pathlib import Path

DR_DIR = str(Path(__file__).resolve().parents[2] / "dr")
if DR_DIR not in sys.path:
    sys.path.insert(0, DR_DIR)
