"""``python -m curate``."""

from __future__ import annotations

import sys

from curate.cli import main

if __name__ == "__main__":
    sys.exit(main())
