"""The naive way: python-frontmatter plus a jsonschema validator, in a plain loop.

python benchmarks/naive.py SITE --schema schemas/article.schema.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from floor import article_paths
from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator


def as_json(value: Any) -> Any:
    """YAML timestamps become strings again (check-jsonschema loads them as strings)."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def count_errors(validator: Validator, path: Path) -> int | None:
    try:
        post = frontmatter.load(str(path))
    except (yaml.YAMLError, ValueError):
        return None
    return len(list(validator.iter_errors(as_json(post.metadata))))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("site", type=Path, metavar="SITE")
    parser.add_argument("--schema", type=Path, required=True)
    args = parser.parse_args(argv)
    schema = json.loads(args.schema.read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    unparsable = invalid = errors = 0
    for path in article_paths(args.site):
        found = count_errors(validator, path)
        if found is None:
            unparsable += 1
        elif found:
            invalid += 1
            errors += found
    print(f"naive: {unparsable} unparsable, {invalid} invalid, {errors} errors", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
