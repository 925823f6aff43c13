"""Generate a deterministic Jekyll news site shaped like everyday-cc/ai, for benchmarks.

    python benchmarks/generate.py OUT_DIR --articles 10000 [--seed 0]

The same article count and seed always give byte-identical files. About 1% of the
articles are broken on purpose, in the ways real front matter breaks.
"""

from __future__ import annotations

import argparse
import base64
import random
import re
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

SITE_URL = "https://everyday-cc.github.io"
BASEURL = "/ai"
ASSETS_URL = f"{SITE_URL}{BASEURL}/assets/images"

# Shares measured on the 126 real articles of shared/corpus/everyday-cc-ai.
SCORED_SHARE = 2 / 3  # articles with quality, heat and published
IMAGES_SHARE = 0.77
AMP_SHARE = 0.38
ORIGINAL_URL_SHARE = 0.75
RELATED_SHARE = 0.30
PROVIDER_LOGO_SHARE = 0.45
FILENAME_DATE_DRIFT_SHARE = 0.20
BROKEN_SHARE = 0.01
INTERNAL_RELATED_SHARE = 0.40

BROKEN_KINDS = (
    "yaml-syntax",
    "quality-not-integer",
    "missing-title",
    "unclosed-front-matter",
    "duplicate-key",
    "bad-date",
)


@dataclass(frozen=True)
class Provider:
    name: str
    domain: str
    host: str
    amp_style: str
    weight: int


@dataclass(frozen=True)
class Topic:
    order: str
    name: str
    shortname: str
    parent: str
    keywords: tuple[str, ...]
    image_count: int
    services: tuple[str, ...]

    @property
    def id(self) -> str:
        return slugify(self.name)


@dataclass(frozen=True)
class Image:
    url: str
    width: int
    height: int


@dataclass(frozen=True)
class Article:
    filename: str
    title: str
    excerpt: str
    timestamp: str
    web_url: str
    original_url: str | None
    amp_url: str | None
    provider: Provider
    provider_logo: str | None
    quality: int | None
    heat: int
    topics: tuple[str, ...]
    images: tuple[Image, ...]


# Hosts carry no "-", so the AMP cache host is the host with "." turned into "-".
PROVIDERS = (
    Provider("Medium", "medium.com", "medium.com", "amp-query", 9),
    Provider(
        "Business Insider", "businessinsider.com", "markets.businessinsider.com", "amp-query", 9
    ),
    Provider("Forbes", "forbes.com", "www.forbes.com", "amp-path", 8),
    Provider("VentureBeat", "venturebeat.com", "venturebeat.com", "amp-path", 7),
    Provider("PR Newswire", "prnewswire.com", "www.prnewswire.com", "amp-query", 6),
    Provider("CNN", "cnn.com", "www.cnn.com", "amp-host", 5),
    Provider("TechRepublic", "techrepublic.com", "www.techrepublic.com", "amp-path", 4),
    Provider("ZDNet", "zdnet.com", "www.zdnet.com", "amp-path", 4),
    Provider("TechCrunch", "techcrunch.com", "techcrunch.com", "amp-path", 4),
    Provider("Reuters", "reuters.com", "www.reuters.com", "amp-query", 4),
    Provider("The Next Platform", "nextplatform.com", "www.nextplatform.com", "amp-path", 3),
    Provider("The Financial Times", "ft.com", "www.ft.com", "amp-query", 3),
    Provider("Science Daily", "sciencedaily.com", "www.sciencedaily.com", "amp-query", 3),
    Provider("PC Magazine", "pcmag.com", "www.pcmag.com", "amp-query", 3),
    Provider("MarketWatch", "marketwatch.com", "www.marketwatch.com", "amp-path", 3),
    Provider("InfoQ", "infoq.com", "www.infoq.com", "amp-query", 3),
    Provider("HotHardware", "hothardware.com", "hothardware.com", "amp-query", 2),
    Provider("EurekAlert!", "eurekalert.org", "www.eurekalert.org", "amp-query", 2),
    Provider("Dataquest", "dqindia.com", "www.dqindia.com", "amp-path", 2),
    Provider("Wired", "wired.com", "www.wired.com", "amp-path", 3),
    Provider("The Verge", "theverge.com", "www.theverge.com", "amp-query", 3),
    Provider("South China Morning Post", "scmp.com", "www.scmp.com", "amp-host", 2),
    Provider("Medical Xpress", "medicalxpress.com", "medicalxpress.com", "amp-suffix", 2),
    Provider("Phys.org", "phys.org", "phys.org", "amp-suffix", 2),
    Provider(
        "MIT Technology Review", "technologyreview.com", "www.technologyreview.com", "amp-query", 3
    ),
    Provider("New Scientist", "newscientist.com", "www.newscientist.com", "amp-query", 2),
    Provider("Nasdaq", "nasdaq.com", "www.nasdaq.com", "amp-query", 2),
    Provider("The Motley Fool", "fool.com", "www.fool.com", "amp-path", 2),
    Provider("U.S. News & World Report", "usnews.com", "www.usnews.com", "amp-query", 1),
    Provider("Quartz", "qz.com", "qz.com", "amp-path", 1),
    Provider("Nextgov", "nextgov.com", "www.nextgov.com", "amp-query", 1),
    Provider("The Diplomat", "thediplomat.com", "thediplomat.com", "amp-query", 1),
    Provider("The Drum", "thedrum.com", "www.thedrum.com", "amp-query", 1),
    Provider("TMCnet", "tmcnet.com", "www.tmcnet.com", "amp-query", 1),
    Provider("TweakTown", "tweaktown.com", "www.tweaktown.com", "amp-query", 1),
    Provider("UploadVR", "uploadvr.com", "uploadvr.com", "amp-path", 1),
    Provider("Engadget", "engadget.com", "www.engadget.com", "amp-path", 2),
    Provider("Ars Technica", "arstechnica.com", "arstechnica.com", "amp-path", 2),
    Provider("BBC", "bbc.com", "www.bbc.com", "amp-suffix", 2),
    Provider("Bloomberg", "bloomberg.com", "www.bloomberg.com", "amp-query", 2),
    Provider("CNBC", "cnbc.com", "www.cnbc.com", "amp-host", 2),
    Provider("The New York Times", "nytimes.com", "www.nytimes.com", "amp-query", 2),
    Provider("The Wall Street Journal", "wsj.com", "www.wsj.com", "amp-query", 2),
    Provider("TechRadar", "techradar.com", "www.techradar.com", "amp-path", 1),
    Provider("Mashable", "mashable.com", "mashable.com", "amp-path", 1),
    Provider("Neowin", "neowin.net", "www.neowin.net", "amp-query", 1),
    Provider("The Robot Report", "therobotreport.com", "www.therobotreport.com", "amp-query", 1),
    Provider("Tech in Asia", "techinasia.com", "www.techinasia.com", "amp-query", 1),
    Provider("ReadWrite", "readwrite.com", "readwrite.com", "amp-path", 1),
    Provider("Electrek", "electrek.co", "electrek.co", "amp-path", 1),
    Provider("syncedreview", "syncedreview.com", "syncedreview.com", "amp-path", 1),
    Provider("datanami.com", "datanami.com", "www.datanami.com", "amp-query", 1),
    Provider("SD Times", "sdtimes.com", "sdtimes.com", "amp-query", 1),
    Provider("Le Lézard", "lelezard.com", "www.lelezard.com", "amp-query", 1),
    Provider("아크로팬", "acrofan.com", "www.acrofan.com", "amp-query", 1),
    Provider("unite", "unite.ai", "www.unite.ai", "amp-query", 1),
    Provider("techxplore.com", "techxplore.com", "techxplore.com", "amp-suffix", 1),
    Provider("openpr.com", "openpr.com", "www.openpr.com", "amp-query", 1),
    Provider("Scoop", "scoop.co.nz", "www.scoop.co.nz", "amp-query", 1),
    Provider("Reseller News", "reseller.co.nz", "www.reseller.co.nz", "amp-query", 1),
)

SERVICES_ALL = ("news", "learning", "projects", "people", "companies")
TOPICS = (
    Topic("00", "AI", "", "", ("artificial intelligence", "ai"), 4, SERVICES_ALL),
    Topic("01", "Machine Learning", "ML", "AI", ("machine learning", "ml"), 4, SERVICES_ALL),
    Topic("02", "Computer Vision", "Vision", "AI", ("computer vision", "image"), 1, SERVICES_ALL),
    Topic("03", "Natural Language Processing", "NLP", "AI", ("nlp", "language"), 1, SERVICES_ALL),
    Topic("04", "AI Ethics", "Ethics", "AI", ("ethical", "ethics"), 2, ("news",)),
    Topic("05", "AI Hardware", "Hardware", "AI", ("chip", "gpu", "hardware"), 2, SERVICES_ALL),
    Topic("06", "AI in Autos", "Autos", "AI", ("self-driving", "autonomous"), 2, SERVICES_ALL),
    Topic("07", "AI in Healthcare", "Healthcare", "AI", ("healthcare", "medical"), 4, SERVICES_ALL),
    Topic("08", "AI in Finance", "Finance", "AI", ("finance", "fintech", "banking"), 3, ("news",)),
    Topic("08", "AI in Marketing", "Marketing", "AI", ("marketing",), 1, ("news",)),
    Topic("09", "AI in Education", "Education", "AI", ("education", "learning"), 1, ("news",)),
    Topic("09", "AI in Robotics", "Robotics", "AI", ("robotics", "robot"), 3, SERVICES_ALL),
    Topic("09", "AI in Security", "Security", "AI", ("security", "cyberattack"), 1, ("news",)),
    Topic("10", "AWS AI", "", "AI", ("aws", "sagemaker"), 2, SERVICES_ALL),
    Topic("11", "Microsoft AI", "", "AI", ("microsoft", "azure"), 2, SERVICES_ALL),
    Topic("12", "Google AI", "", "AI", ("google", "deepmind"), 3, SERVICES_ALL),
    Topic("13", "Meta AI", "", "AI", ("meta", "llama"), 1, SERVICES_ALL),
    Topic("14", "IBM AI", "", "AI", ("ibm", "watson"), 2, SERVICES_ALL),
    Topic("15", "TensorFlow", "", "Google AI", ("tensorflow",), 1, SERVICES_ALL),
    Topic("20", "Math for AI", "Math", "AI", ("math", "statistics"), 4, SERVICES_ALL),
)
# Weights of the topics besides AI, which most articles carry on top.
TOPIC_WEIGHTS = (0, 30, 7, 4, 7, 18, 4, 5, 6, 2, 2, 4, 2, 5, 6, 5, 15, 2, 2, 1)

COMPANIES = (
    "OpenAI", "Google", "Microsoft", "Meta", "Nvidia", "IBM", "Amazon", "Apple", "Baidu",
    "Tesla", "Intel", "AMD", "Databricks", "Anthropic", "DeepMind", "Salesforce", "Oracle",
    "Samsung", "Qualcomm", "Hugging Face", "Stability AI", "Alibaba", "Tencent", "Waymo",
    "Adobe", "Palantir", "Snowflake", "ElectrifAi", "SambaNova", "Cerebras", "Graphcore",
    "Boston Dynamics", "Zoom", "Walmart", "JPMorgan", "Pfizer", "Siemens", "Bosch", "Sony",
    "Shenzhen", "The EU", "The Pentagon", "Stanford", "MIT", "Nissan",
)  # fmt: skip
VERBS = (
    "unveils", "launches", "bets on", "partners on", "invests in", "expands", "open-sources",
    "tests", "warns about", "rolls out", "doubles down on", "pauses", "delays", "builds",
    "rethinks", "cracks down on", "debuts", "scales up",
)  # fmt: skip
ADJECTIVES = (
    "generative", "open-source", "multimodal", "on-device", "responsible", "autonomous",
    "federated", "explainable", "low-power", "real-time", "enterprise", "conversational",
    "medical", "next-gen", "trustworthy", "edge",
)  # fmt: skip
NOUNS = (
    "AI model", "chatbot", "language model", "vision system", "AI chip", "robotics platform",
    "recommendation engine", "fraud detection tool", "coding assistant", "data platform",
    "self-driving software", "AI rules", "facial recognition", "ethics board",
    "deep learning framework", "AI lab", "supercomputer", "AI assistant",
)  # fmt: skip
SUFFIXES = (
    "", "", "", "", " for hospitals", " in Europe", " amid regulatory scrutiny",
    " to rival ChatGPT", " as demand soars", ", report says", " after backlash",
    " for small businesses", " at developer conference", " with $100M in funding",
    " in China", " for banks", " in China\u2019s tech hub", " as Europe\u2019s AI rules loom",
)  # fmt: skip
WORDS = (
    "the", "company", "said", "its", "new", "model", "data", "training", "researchers",
    "artificial", "intelligence", "machine", "learning", "systems", "customers", "market",
    "will", "could", "more", "than", "percent", "billion", "deploy", "across", "cloud",
    "workloads", "accuracy", "benchmark", "regulators", "privacy", "bias", "safety",
    "open", "source", "developers", "enterprise", "announced", "on", "Tuesday", "week",
    "compute", "chips", "inference", "latency", "patients", "hospital", "drivers", "city",
    "according", "to", "a", "an", "and", "of", "in", "for", "with", "that", "is", "are",
    "startup", "funding", "round", "led", "by", "investors", "platform", "tools", "teams",
    "faster", "cheaper", "larger", "smaller", "neural", "network", "parameters", "users",
    "study", "found", "results", "published", "journal", "team", "university", "lab",
)  # fmt: skip
IMAGE_SIZES = ((1200, 630), (1200, 600), (1024, 768), (1600, 900), (775, 812), (640, 480))
START_DAY = date(2021, 3, 1)
RECENT_DAYS = (date(2024, 3, 1) - START_DAY).days
ARCHIVE_START = date(2014, 1, 1)
ARCHIVE_DAYS = (START_DAY - ARCHIVE_START).days

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    return _NOT_SLUG.sub("-", text.lower().replace("'", "").replace("\u2019", "")).strip("-")


def grey_jpeg(side: int) -> bytes:
    """A valid baseline JPEG of side x side mid-grey pixels: every 8x8 block is DC 0, no AC."""

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">HH", marker, len(payload) + 2) + payload

    single_code_table = bytes([1] + [0] * 15) + b"\x00"
    bits = 2 * (-(-side // 8)) ** 2
    scan = bytes(bits // 8) + (bytes([0xFF >> (bits % 8)]) if bits % 8 else b"")
    return b"".join(
        (
            b"\xff\xd8",
            segment(0xFFDB, b"\x00" + b"\x01" * 64),
            segment(0xFFC0, struct.pack(">BHHB", 8, side, side, 1) + b"\x01\x11\x00"),
            segment(0xFFC4, b"\x00" + single_code_table),
            segment(0xFFC4, b"\x10" + single_code_table),
            segment(0xFFDA, b"\x01\x01\x00\x00\x3f\x00"),
            scan,
            b"\xff\xd9",
        )
    )


def amp_cache_url(amp_url: str) -> str:
    host, _, rest = amp_url.removeprefix("https://").partition("/")
    return f"https://{host.replace('.', '-')}.cdn.ampproject.org/c/s/{host}/{rest}"


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def logo_url(domain: str, side: int) -> str:
    return f"/assets/images/organizations/{domain}-{side}x{side}.jpg"


class SiteGenerator:
    """Plans every article first, so that related entries can point at other articles."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.provider_weights = [p.weight for p in PROVIDERS]
        self.with_org_file = [self.rng.random() < 0.85 for _ in PROVIDERS]
        self.with_logo = [self.rng.random() < 0.90 for _ in PROVIDERS]
        self.used_filenames: set[str] = set()

    def sentence(self, low: int, high: int) -> str:
        words = self.rng.choices(WORDS, k=self.rng.randint(low, high))
        return " ".join(words).capitalize() + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence(8, 22) for _ in range(self.rng.randint(2, 4)))

    def title(self) -> str:
        rng = self.rng
        return (
            f"{rng.choice(COMPANIES)} {rng.choice(VERBS)} {rng.choice(ADJECTIVES)} "
            f"{rng.choice(NOUNS)}{rng.choice(SUFFIXES)}"
        )

    def day(self) -> date:
        if self.rng.random() < 0.05:
            return ARCHIVE_START + timedelta(days=self.rng.randrange(ARCHIVE_DAYS))
        return START_DAY + timedelta(days=self.rng.randrange(RECENT_DAYS))

    def timestamp(self, day: date) -> str:
        if self.rng.random() < 0.3:
            return f"{day.isoformat()}T00:00:00Z"
        return f"{day.isoformat()}T{self.rng.randrange(24):02d}:{self.rng.randrange(60):02d}:00Z"

    def filename(self, day: date, slug: str) -> str:
        if self.rng.random() < FILENAME_DATE_DRIFT_SHARE:
            day += timedelta(days=self.rng.choice((-1, 1, 1, 2)))
        stem = f"{day.isoformat()}-{slug}"
        name, number = f"{stem}.md", 1
        while name in self.used_filenames:
            number += 1
            name = f"{stem}-{number}.md"
        self.used_filenames.add(name)
        return name

    def urls(self, provider: Provider, day: date, slug: str, index: int) -> tuple[str, str | None]:
        host = provider.host
        if provider.amp_style == "amp-suffix":
            web = f"https://{host}/news/{day.year}-{day.month:02d}-{slug}-{index}.html"
            amp = web.removesuffix(".html") + ".amp"
        else:
            web = f"https://{host}/{day.year}/{day.month:02d}/{day.day:02d}/{slug}-{index}/"
            amp = {
                "amp-path": f"{web}amp/",
                "amp-host": web.replace(f"https://{host}/", f"https://amp.{host}/", 1),
                "amp-query": f"{web}?outputType=amp",
            }[provider.amp_style]
        return web, amp if self.rng.random() < AMP_SHARE else None

    def topics(self) -> tuple[str, ...]:
        rng = self.rng
        picked = rng.choices(TOPICS, weights=TOPIC_WEIGHTS, k=rng.choice((1, 1, 2)))
        names = [topic.name for topic in picked if topic.name != "AI"]
        if rng.random() < 0.8:
            names.insert(rng.randrange(len(names) + 1), "AI")
        return tuple(dict.fromkeys(names)) or ("AI",)

    def images(self, host: str, day: date, slug: str) -> tuple[Image, ...]:
        if self.rng.random() >= IMAGES_SHARE:
            return ()
        width, height = self.rng.choice(IMAGE_SIZES)
        url = f"https://{host}/wp-content/uploads/{day.year}/{day.month:02d}/{slug[:48]}.jpg"
        return (Image(f"{url}?w={width}&strip=all", width, height),)

    def provider_logo(self, provider_index: int) -> str | None:
        if self.rng.random() >= PROVIDER_LOGO_SHARE:
            return None
        path = logo_url(PROVIDERS[provider_index].domain, 50)
        # Some real articles carry the site-relative form instead of the absolute URL.
        return path if self.rng.random() < 0.03 else f"{SITE_URL}{BASEURL}{path}"

    def article(self, index: int) -> Article:
        rng = self.rng
        title = self.title()
        slug = slugify(title)
        day = self.day()
        provider_index = rng.choices(range(len(PROVIDERS)), weights=self.provider_weights)[0]
        provider = PROVIDERS[provider_index]
        web_url, amp_url = self.urls(provider, day, slug, index)
        quality = rng.choice((rng.randint(0, 69), rng.randint(70, 160)))
        if rng.random() >= SCORED_SHARE:
            quality_or_none, heat = None, 0
        elif quality < 70 and rng.random() < 0.3:
            quality_or_none, heat = quality, -1
        else:
            quality_or_none, heat = quality, min(215, quality + rng.choice((0, 0, 0, 10, 20, 40)))
        excerpt = " ".join(self.sentence(10, 24) for _ in range(rng.randint(1, 2)))
        return Article(
            filename=self.filename(day, slug),
            title=title,
            excerpt=excerpt,
            timestamp=self.timestamp(day),
            web_url=web_url,
            original_url=web_url if rng.random() < ORIGINAL_URL_SHARE else None,
            amp_url=amp_url,
            provider=provider,
            provider_logo=self.provider_logo(provider_index),
            quality=quality_or_none,
            heat=heat,
            topics=self.topics(),
            images=self.images(provider.host, day, slug),
        )

    def related_entry(self, articles: Sequence[Article], index: int) -> list[str]:
        rng = self.rng
        if rng.random() < INTERNAL_RELATED_SHARE:
            target = articles[(index + rng.randrange(1, len(articles))) % len(articles)]
            quality = target.quality if target.quality is not None else rng.randint(0, 160)
        else:
            # An article of the wider web: planned like ours, never written.
            target = self.article(len(articles) + index)
            quality = rng.randint(0, 99)
        lines = [
            f"  - title: {quoted(target.title)}",
            f"    excerpt: {quoted(target.excerpt)}",
            f"    publishedDateTime: {target.timestamp}",
            f"    webUrl: {quoted(target.web_url)}",
        ]
        if target.amp_url:
            lines.append(f"    ampWebUrl: {quoted(target.amp_url)}")
            lines.append(f"    cdnAmpWebUrl: {quoted(amp_cache_url(target.amp_url))}")
        lines += [
            "    type: article",
            "    provider:",
            f"      name: {target.provider.name}",
            f"      domain: {target.provider.domain}",
            f"    quality: {quality}",
        ]
        if target.images:
            lines.append("    images:")
            for image in target.images:
                lines += [
                    f"      - url: {quoted(image.url)}",
                    f"        width: {image.width}",
                    f"        height: {image.height}",
                    "        isCached: true",
                ]
        return lines

    def related(self, articles: Sequence[Article], index: int) -> list[str]:
        if len(articles) < 2 or self.rng.random() >= RELATED_SHARE:
            return []
        count = self.rng.choices(range(1, 11), weights=(40, 22, 12, 8, 6, 4, 3, 2, 2, 1))[0]
        lines = ["related:"]
        for _ in range(count):
            lines += self.related_entry(articles, index)
        return [*lines, ""]

    def secured(self) -> str:
        cipher = self.rng.randbytes(self.rng.choice((240, 256, 256, 272, 288, 304, 336, 464)))
        nonce = self.rng.randbytes(16)
        return f"{base64.b64encode(cipher).decode()};{base64.b64encode(nonce).decode()}"

    def front_matter(self, article: Article, related: list[str], broken: str | None) -> list[str]:
        lines = ["category: news"]
        if broken == "yaml-syntax":
            lines.append(f'title: "{article.title} "exclusive" {article.provider.name}"')
        elif broken != "missing-title":
            lines.append(f"title: {quoted(article.title)}")
        lines.append(f"excerpt: {quoted(article.excerpt)}")
        timestamp = self.broken_date(article) if broken == "bad-date" else article.timestamp
        lines.append(f"publishedDateTime: {timestamp}")
        if article.original_url:
            lines.append(f"originalUrl: {quoted(article.original_url)}")
        lines.append(f"webUrl: {quoted(article.web_url)}")
        if article.amp_url:
            lines.append(f"ampWebUrl: {quoted(article.amp_url)}")
            lines.append(f"cdnAmpWebUrl: {quoted(amp_cache_url(article.amp_url))}")
        lines.append("type: article")
        if broken == "quality-not-integer":
            lines += ['quality: "high"', f"heat: {max(article.heat, 0)}", "published: true"]
        elif article.quality is not None:
            lines.append(f"quality: {article.quality}")
            lines.append(f"heat: {article.heat}")
            lines.append(f"published: {'true' if article.quality >= 70 else 'false'}")
        if broken == "duplicate-key":
            lines.append(f"title: {quoted(article.title.upper())}")
        lines += ["", "provider:", f"  name: {article.provider.name}"]
        lines.append(f"  domain: {article.provider.domain}")
        if article.provider_logo:
            lines += ["  images:", f"    - url: {quoted(article.provider_logo)}"]
            lines += ["      width: 50", "      height: 50"]
        lines += ["", "topics:", *(f"  - {topic}" for topic in article.topics), ""]
        if article.images:
            lines.append("images:")
            for image in article.images:
                lines += [
                    f"  - url: {quoted(image.url)}",
                    f"    width: {image.width}",
                    f"    height: {image.height}",
                    "    isCached: true",
                ]
            lines.append("")
        return [*lines, *related, f"secured: {quoted(self.secured())}"]

    def broken_date(self, article: Article) -> str:
        year = article.timestamp[:4]
        if self.rng.random() < 0.5:
            return f"{year}-02-30T12:00:00Z"
        return f'"{article.timestamp[8:10]}/{article.timestamp[5:7]}/{year} 12:00"'

    def body(self, article: Article) -> list[str]:
        paragraphs = [self.paragraph() for _ in range(self.rng.randint(2, 3))]
        link = f"[Read the full story on {article.provider.name}]({article.web_url})"
        return [line for paragraph in (*paragraphs, link) for line in (paragraph, "")]

    def render(self, article: Article, related: list[str], broken: str | None) -> str:
        closing = [] if broken == "unclosed-front-matter" else ["---"]
        lines = ["---", *self.front_matter(article, related, broken), *closing, ""]
        return "\n".join([*lines, *self.body(article)])


def write_topics(root: Path) -> None:
    topics_dir = root / "_data" / "topics"
    images_dir = root / "assets" / "images" / "topics"
    topics_dir.mkdir(parents=True)
    images_dir.mkdir(parents=True)
    image = grey_jpeg(400)
    for topic in TOPICS:
        names = [
            f"{topic.id}.jpg",
            *(f"{topic.id}-{n}.jpg" for n in range(2, topic.image_count + 1)),
        ]
        lines = ["taxonomy: topic", f"_id: {topic.id}", f"name: {topic.name}"]
        if topic.shortname:
            lines.append(f"shortname: {topic.shortname}")
        if topic.parent:
            lines.append(f"parent: {topic.parent}")
        lines += ["keywords:", *(f"  - {keyword}" for keyword in topic.keywords)]
        lines += ["hashtags:", f'  - "#{topic.id.replace("-", "")}"']
        lines += ["images:", *(f"  - {ASSETS_URL}/topics/{name}" for name in names)]
        path = "" if topic.name == "AI" else f"{topic.id}/"
        lines += [
            "services:",
            *(f"  {s}: {SITE_URL}{BASEURL}/api/{s}/{path}" for s in topic.services),
        ]
        (topics_dir / f"{topic.order}-{topic.id}.yaml").write_bytes(
            ("\n".join(lines) + "\n").encode()
        )
        for name in names:
            (images_dir / name).write_bytes(image)


def write_organizations(root: Path, generator: SiteGenerator) -> None:
    organizations_dir = root / "_data" / "organizations"
    logos_dir = root / "assets" / "images" / "organizations"
    organizations_dir.mkdir(parents=True)
    logos_dir.mkdir(parents=True)
    logos = {side: grey_jpeg(side) for side in (50, 400)}
    for provider, with_org_file, with_logo in zip(
        PROVIDERS, generator.with_org_file, generator.with_logo, strict=True
    ):
        if with_org_file:
            lines = ["---", "taxonomy: organization", f"_id: {provider.domain}"]
            lines += [f"name: {provider.name}", f"domain: {provider.domain}", "images:"]
            for side in logos:
                lines += [f"  - url: {logo_url(provider.domain, side)}"]
                lines += [f"    width: {side}", f"    height: {side}"]
            text = "\n".join([*lines, "---", ""])
            (organizations_dir / f"{provider.domain}.md").write_bytes(text.encode())
        if with_logo:
            for side, image in logos.items():
                (logos_dir / f"{provider.domain}-{side}x{side}.jpg").write_bytes(image)


CONFIG = f"""\
title: A.I. Every Day
url: {SITE_URL}
baseurl: "{BASEURL}"
webUrl: https://everyday.cc/ai
locale: "en-us"
charset: utf-8
repository: everyday-cc/ai
topic: AI

permalink: /:year/:month/:day/:title/

default_post_settings: &default_post_settings
  layout: post
  permalink: /api/:categories/:year/:month/:day/:title/index.json
  deleted: false
  related: true

pagination:
  page_size: 20

collections:
  posts:
    output: true
  companies:
    output: true

defaults:
  - scope:
      path: ""
      type: posts
    values:
      <<: *default_post_settings

plugins:
  - jekyll-redirect-from
  - jekyll-relative-links
  - jemoji
  - jekyll-remote-theme

exclude:
  - CNAME
  - README.md
  - Gemfile
  - Gemfile.lock
  - .cache
  - .sass-cache

remote_theme: everyday-cc/build
incremental: true
"""


def generate_site(root: Path, articles: int, seed: int = 0) -> list[Path]:
    """Write the site under root (created, must not hold files) and return the broken articles."""
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty")
    generator = SiteGenerator(seed)
    planned = [generator.article(index) for index in range(articles)]
    broken_count = max(1, round(articles * BROKEN_SHARE)) if articles else 0
    broken_indices = sorted(generator.rng.sample(range(articles), broken_count))
    broken = {index: BROKEN_KINDS[n % len(BROKEN_KINDS)] for n, index in enumerate(broken_indices)}
    (root / "_config.yml").write_bytes(CONFIG.encode())
    write_topics(root)
    write_organizations(root, generator)
    news_dir = root / "_news"
    news_dir.mkdir()
    for index, article in enumerate(planned):
        related = generator.related(planned, index)
        text = generator.render(article, related, broken.get(index))
        (news_dir / article.filename).write_bytes(text.encode())
    return [news_dir / planned[index].filename for index in broken_indices]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.articles < 0:
        parser.error("--articles must be >= 0")
    try:
        broken = generate_site(args.out_dir, args.articles, args.seed)
    except FileExistsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.articles} articles ({len(broken)} broken) to {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
