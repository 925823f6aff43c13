"""IM: the pictures of an article, of its provider and of its related entries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from curate.model import Severity
from curate.rules import PROVIDER, Finding, rule
from curate.rules._common import describe, images, integer, text
from curate.rules.taxonomy import first_of_provider

if TYPE_CHECKING:
    from curate.corpus import ArticleRecord, CorpusIndex, Site
    from curate.model import Article


@rule(
    "IM001",
    "images-missing",
    Severity.WARNING,
    message="the article has {problem}: the site shows it without a picture",
    summary="An article has no 'images' key, or an empty list.",
    why="Listings, social cards and the article page use the first image; without one the "
    "article looks broken or falls back to a generic picture.",
    example="title: A story\nimages: []",
    fix="Add the lead picture of the article under 'images' with its url, width and height.",
)
def images_missing(article: Article, site: Site) -> Iterator[Finding]:
    value = article.data.get("images")
    if value is None:
        problem = "no images" if "images" in article.data else "no 'images' key"
        yield Finding.of(("images",), problem=problem)
    elif value == []:
        yield Finding.of(("images",), problem="an empty 'images' list")


@rule(
    "IM002",
    "image-url-missing",
    Severity.ERROR,
    message="{where} {problem}: the site shows a broken picture",
    summary="An image (of the article, its provider or a related entry) has no url, or an "
    "empty one.",
    why="The site renders an <img> for every image entry; without a URL it is a broken picture. "
    "(The bundled schema requires a non-empty url: lint then reports it once, as SC001 or "
    "SC005.)",
    example="images:\n  - width: 1200\n    height: 630",
    fix="Add the image's url, or remove the entry.",
)
def image_url_missing(article: Article, site: Site) -> Iterator[Finding]:
    for pointer, image in images(article.data):
        url = image.get("url")
        if url is None:
            yield Finding.of(pointer, problem="has no url")
        elif isinstance(url, str) and not url.strip():
            yield Finding.of((*pointer, "url"), problem="is empty")


def _size_problem(value: Any) -> str | None:
    number = integer(value)
    if number is None:
        return f"is {describe(value)}, not a whole number of pixels"
    if number <= 0:
        return f"is {number}; it must be positive"
    return None


@rule(
    "IM003",
    "image-size-invalid",
    Severity.WARNING,
    message="{where} {problem}",
    summary="An image's width or height is missing, or not a positive number.",
    why="Pages reserve space for a picture from its width and height; without them the layout "
    "jumps while the picture loads, and social cards may reject it.",
    example='images:\n  - url: "https://example.com/a.jpg"\n    width: 0\n    height: 630',
    fix="Write the picture's real size in pixels.",
)
def image_size_invalid(article: Article, site: Site) -> Iterator[Finding]:
    for pointer, image in images(article.data):
        missing = [name for name in ("width", "height") if image.get(name) is None]
        if missing:
            yield Finding.of(pointer, problem="has no " + " or ".join(missing))
        for name in ("width", "height"):
            if name in missing:
                continue
            problem = _size_problem(image[name])
            if problem is not None:
                field = (*pointer, name)
                yield Finding.of(field, problem=problem)


@rule(
    "IM004",
    "image-insecure-url",
    Severity.WARNING,
    message="{where} uses http: ({url}); browsers block or flag insecure pictures on an https site",
    summary="An image URL starts with http: instead of https:.",
    why="The site is served over https; browsers upgrade or block such 'mixed content' "
    "pictures, so they may not show, and the page is marked as not fully secure.",
    example='images:\n  - url: "http://example.com/a.jpg"',
    fix="Use the https:// address of the picture (most hosts serve both).",
)
def image_insecure_url(article: Article, site: Site) -> Iterator[Finding]:
    for pointer, image in images(article.data):
        url = text(image.get("url"))
        if url and url.lower().startswith("http:"):
            field = (*pointer, "url")
            yield Finding.of(field, url=url)


def _logo_hint(record: ArticleRecord) -> str:
    logo = record.site_logo
    if logo is None:
        return ""
    return f"; the site has one: {logo}" if "://" in logo else f"; the site has {logo}"


def _no_logo(record: ArticleRecord) -> bool:
    return not record.provider_logo


@rule(
    "IM005",
    "provider-logo-missing",
    Severity.INFO,
    message="provider {provider} has no logo (no provider.images) in {articles}{hint}",
    summary="A provider has no 'images' (its logo) in its articles (reported once per "
    "provider, at its first article, with the count).",
    why="The site shows the publisher's logo beside its name; without one the article looks "
    "different from its neighbours in listings.",
    example="provider:\n  name: syncedreview\n  domain: syncedreview.com",
    fix="Add the logo under provider.images, usually "
    "/assets/images/organizations/<domain>-50x50.jpg (50 x 50), after adding the file.",
    corpus=True,
    looks_up=(PROVIDER,),
)
def provider_logo_missing(
    record: ArticleRecord, index: CorpusIndex, site: Site
) -> Iterator[Finding]:
    if record.provider_logo:
        return
    count = first_of_provider(record, index, _no_logo)
    if not count:
        return
    domain = record.provider_domain.strip() if record.provider_domain else None
    name = domain or (record.provider_name or "").strip() or "(unnamed)"
    yield Finding.of(
        ("provider",),
        provider=name,
        articles="its 1 article"
        if count == 1
        else f"any of its {count} articles (reported at the first)",
        hint=_logo_hint(record),
        at_key=True,
    )


@rule(
    "IM006",
    "image-local-missing",
    Severity.ERROR,
    message="{where} is {url}, but the site has no file {relative}",
    summary="An image path of this site (/assets/... or the site's own URL) has no file.",
    why="The site links the picture from its own assets; a missing file is a broken picture on "
    "every page that shows the article.",
    example="provider:\n  images:\n"
    "    - url: https://everyday-cc.github.io/ai/assets/images/organizations/forbes.com-50x50.jpg"
    "\n# ...and assets/images/organizations/forbes.com-50x50.jpg does not exist",
    fix="Add the image file under the site root, or correct the path.",
)
def image_local_missing(article: Article, site: Site) -> Iterator[Finding]:
    if site.root is None:
        return
    for pointer, image in images(article.data):
        url = text(image.get("url"))
        if url is None:
            continue
        relative = site.local_path(url)
        if relative is not None and not site.asset_exists(relative):
            field = (*pointer, "url")
            yield Finding.of(field, url=url, relative=relative)
