"""The one glob matcher: ``exclude``, ``include`` and ``per-file-ignores`` all use it.

A pattern is matched against a path relative to the site root, written with ``/``:

- it matches when it matches the whole path, one of the folders the path is in, or the
  file name alone: ``_drafts`` and ``_drafts/*`` both cover ``_drafts/a/b.md``, and
  ``*.markdown`` covers ``_posts/x.markdown``;
- ``*`` matches any run of characters, ``/`` included; ``?`` one character; ``[abc]``
  one of a set, ``[!abc]`` one not in it; nothing else is special;
- leading and trailing ``/`` are ignored; matching is case-sensitive.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable


@functools.lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    cleaned = [pattern.strip("/") for pattern in patterns if pattern.strip("/")]
    if not cleaned:
        return None
    # fnmatch.translate ends with \Z; a folder prefix of the path matches too.
    return re.compile(
        "|".join(f"(?:{fnmatch.translate(pattern)[:-2]})(?:/.*)?\\Z" for pattern in cleaned)
    )


class Globs:
    """A set of patterns compiled once into one regular expression."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._regex = _compiled(tuple(patterns))

    def __bool__(self) -> bool:
        return self._regex is not None

    def matches(self, relative: str) -> bool:
        """Whether a pattern covers ``relative``, its folders or its file name."""
        regex = self._regex
        if regex is None:
            return False
        if regex.match(relative) is not None:
            return True
        name = relative.rpartition("/")[2]
        return name != relative and regex.match(name) is not None
