from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault(
    "NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[3] / "var" / "numba-cache")
)
sys.path.insert(0, str(Path(__file__).parent))
