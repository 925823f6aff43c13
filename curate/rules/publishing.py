"""PB: whether an article should be on the site, and its 'secured' payload."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from curate.model import Severity
from curate.rules import Finding, rule
from curate.rules._common import integer, quality_threshold

if TYPE_CHECKING:
    from curate.corpus import Site
    from curate.model import Article

#: AES uses a 16-byte initialisation vector.
IV_BYTES = 16


@rule(
    "PB001",
    "published-below-threshold",
    Severity.WARNING,
    message="published: true, but {field} {value} is below the publishing threshold {threshold}",
    summary="An article is 'published: true' while the field the site publishes by (default "
    "heat; 'published-field') is below the threshold (default 70; --publish-threshold or "
    "'publish-threshold').",
    why="A site publishes articles from a threshold up: in the _news of the everyday-cc "
    "sample, an article is published exactly when its heat is 70 or more. A weaker one on "
    "the site is usually a 'published' flag set by hand or a value lowered later.",
    example="heat: 59\npublished: true",
    fix="Set 'published: false', or raise the value if the article deserves it. If the site "
    "publishes by another field or threshold, set 'published-field' (e.g. quality) and "
    "'publish-threshold' in curate's configuration.",
)
def published_below_threshold(article: Article, site: Site) -> Iterator[Finding]:
    field = site.settings.published_field if site.settings else "heat"
    value = integer(article.data.get(field))
    threshold = quality_threshold(site)
    if article.data.get("published") is not True or value is None or value >= threshold:
        return
    if field == "heat" and value == -1:
        return  # published-heat-unmeasured says it better
    yield Finding.of(("published",), field=field, value=value, threshold=threshold)


@rule(
    "PB002",
    "published-heat-unmeasured",
    Severity.WARNING,
    message="published: true, but heat is -1 (not measured), which goes with unpublished articles",
    summary="An article is 'published: true' with 'heat: -1'.",
    why="heat -1 marks an article whose popularity was never measured, which upstream only "
    "happens for unpublished ones: the 'published' flag is probably wrong, and ranking puts "
    "the article last.",
    example="heat: -1\npublished: true",
    fix="Set 'published: false', or give the article its measured heat.",
)
def published_heat_unmeasured(article: Article, site: Site) -> Iterator[Finding]:
    if article.data.get("published") is True and integer(article.data.get("heat")) == -1:
        yield Finding.of(("heat",))


_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def _is_base64(part: str) -> bool:
    return bool(part) and len(part) % 4 == 0 and _BASE64.fullmatch(part) is not None


def _decoded(part: str) -> bytes | None:
    try:
        return base64.b64decode(part, validate=True)
    except (binascii.Error, ValueError):
        return None


def secured_problem(value: str) -> str | None:
    """What is wrong with a ``<base64 ciphertext>;<base64 IV>`` value, or None."""
    parts = value.strip().split(";")
    if len(parts) != 2:
        return f"has {len(parts)} part{'s' if len(parts) != 1 else ''} separated by ';', not 2"
    ciphertext, iv = parts
    if not _is_base64(ciphertext):
        return "has a ciphertext (before ';') that is not valid base64"
    decoded_iv = _decoded(iv)
    if not iv or decoded_iv is None:
        return "has an IV (after ';') that is not valid base64"
    if len(decoded_iv) != IV_BYTES:
        return f"has an IV of {len(decoded_iv)} bytes, not {IV_BYTES}"
    return None


@rule(
    "PB003",
    "secured-malformed",
    Severity.ERROR,
    message="secured {problem}: it must be '<base64 ciphertext>;<base64 16-byte IV>'",
    summary="'secured' is not two base64 parts separated by ';', or its IV is not 16 bytes.",
    why="The site decrypts 'secured' with the IV after the ';'; a malformed value cannot be "
    "decrypted, so what it protects is lost on the page.",
    example='secured: "eun5msn8Zr4U...==;/g9GM5k0AwisSLBq"',
    fix="Copy the value again from the tool that produced it; do not edit it by hand.",
)
def secured_malformed(article: Article, site: Site) -> Iterator[Finding]:
    value = article.data.get("secured")
    if not isinstance(value, str):
        return
    problem = secured_problem(value)
    if problem is not None:
        yield Finding.of(("secured",), problem=problem)
