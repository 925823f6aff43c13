"""WB: the web behind the links: related pages, images and logos, checked over HTTP.

These are found only by ``curate lint --online`` and ``curate links`` (see
:mod:`curate.links`), never by a plain lint, which reads no network; they are
registered here so they can be selected, ignored, suppressed and documented like
every other rule. What counts as broken, unverified or refused is decided by
:mod:`curate.online`.
"""

from __future__ import annotations

from curate.model import Severity
from curate.rules import Rule, register

#: The rule that reports each outcome of a request (a ``curate.online.Outcome`` value):
#: broken, unverified, or skipped because the address is not public. An ok answer, an
#: excluded URL and a run without network report nothing.
CODE_OF_OUTCOME = {"broken": "WB001", "unverified": "WB002", "skipped": "WB003"}
#: Every code the online checks report; a run that enables none of them requests nothing.
ONLINE_CODES = tuple(CODE_OF_OUTCOME.values())

register(
    Rule(
        "WB001",
        "link-broken",
        Severity.ERROR,
        message="{where} {url} is broken: {detail}",
        summary="A related link, an image or a provider logo is gone: 404, 410 or another 4xx, "
        "a 5xx that lasted through the retries, no such host, a refused connection, a TLS "
        "failure, a redirect loop, or a page where a picture should be. A failing answer to "
        "HEAD is asked again with GET, whose answer decides; with no network at all, no link "
        "is reported (the summary says how many were not checked).",
        why="Readers who follow the link land on an error page, and the site shows a broken "
        "picture where the image should be. Links rot quietly: only a check over the network "
        "finds them.",
        example='related:\n  - title: "A story"\n'
        '    webUrl: "https://example.com/2019/a-story-that-moved"\n'
        "# ...which answers 404 Not Found",
        fix="Open the URL and find where the page or picture went; use that address, or remove "
        "the entry. If a site answers an error to robots only, accept its status "
        "(--accept, online-accept) or exclude its URLs (--exclude-url, online-exclude).",
        scope="online",
    )
)

register(
    Rule(
        "WB002",
        "link-unverified",
        Severity.WARNING,
        message="{where} {url} could not be verified: {detail}",
        summary="The server of a link, image or logo would not say whether it is there: 401, "
        "403, 429 or 999, a 503 or 504, a time-out or a dropped connection that lasted "
        "through the retries.",
        why="Many sites turn robots away (LinkedIn answers 999, sites behind bot protection 403 "
        "or 503) or are slow for a moment: the link may work for a reader, or may be gone. "
        "It is a warning, never an error, so a flaky site does not fail a build; it is "
        "checked again on every run.",
        example='related:\n  - webUrl: "https://www.linkedin.com/pulse/a-post"\n'
        "# ...which answers 999 to anything but a browser",
        fix="Open the URL in a browser. If it works and the site always refuses robots, accept "
        "its status (--accept, online-accept) or exclude its URLs (--exclude-url, "
        "online-exclude); if it is gone, replace or remove it.",
        scope="online",
    )
)

register(
    Rule(
        "WB003",
        "link-host-not-public",
        Severity.INFO,
        message="{where} {url} leads to a non-public address and was not checked ({detail}): "
        "readers on the internet cannot reach it either",
        summary="A link, image or logo URL leads to a loopback, private, link-local, reserved or "
        "cloud-metadata address (directly or by a redirect), so it was not checked.",
        why="Such an address means a different machine to every reader: on a public site it is "
        "a link nobody can follow, often a leftover of a staging copy (localhost:4000). curate "
        "resolves every host, on every redirect too, and refuses these addresses so that a URL "
        "in an article cannot make the checker probe the network it runs in, a cloud's "
        "metadata service above all.",
        example='images:\n  - url: "http://localhost:4000/assets/images/a.jpg"',
        fix="Use the public address, or a path of the site (/assets/...). On an intranet site "
        "whose links are private by design, check them with --allow-private.",
        scope="online",
    )
)
