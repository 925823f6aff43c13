"""The floor: read every article and parse its front matter with libyaml, nothing more.

python benchmarks/floor.py SITE
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml


def split_front_matter(text: str) -> str | None:
    """The YAML between the opening `---` line and the next `---` line, or None without both."""
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 3)
    if end == -1 and text.endswith("\n---"):
        end = len(text) - 4
    return None if end == -1 else text[4 : end + 1]


def article_paths(site: Path) -> list[Path]:
    return sorted((site / "_news").glob("*.md"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("site", type=Path, metavar="SITE")
    args = parser.parse_args(argv)
    parsed = failed = 0
    for path in article_paths(args.site):
        front_matter = split_front_matter(path.read_text(encoding="utf-8"))
        if front_matter is None:
            failed += 1
            continue
        try:
            yaml.load(front_matter, Loader=yaml.CSafeLoader)
        # An impossible date such as 2021-02-30T12:00:00Z raises ValueError, not YAMLError.
        except (yaml.YAMLError, ValueError):
            failed += 1
        else:
            parsed += 1
    print(f"floor: {parsed} parsed, {failed} failed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
