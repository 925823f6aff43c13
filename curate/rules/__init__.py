"""The rule registry: every lint rule, keyed by its stable code.

A rule is a small pure function plus its documentation. Article rules see one
parsed article and the site (``(article, site) -> Iterator[Finding]``) and run
wherever the file is parsed, in parallel workers too. Corpus rules see one
article's index record, the whole site's index and the site
(``(record, index, site) -> Iterator[Finding]``) and run once the index is
complete. A rule yields Findings: a pointer into the front matter and the named
fields of its registered message template (``Finding.of(pointer, url=...)``); the
engine positions them and words them through the registry (``Rule.message_for``).
Problems of the site's own files (taxonomy, ``_config.yml``) and the answers of the
online checks are ``PlacedFinding``s, already positioned in their file, worded the
same way (``placed_diagnostic``).

Adding a rule touches one module of this package, its fixtures under
``tests/fixtures/rules/`` and its row in the README's rules table (which
``tests/test_registry.py`` checks against this registry).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from curate.codes import BUILTIN_CODES, CodeDoc
from curate.model import Applicability, Change, ChangeKind, Diagnostic, Fix, Pointer, Severity
from curate.schema import format_pointer

if TYPE_CHECKING:
    from curate.corpus import ArticleRecord, CorpusIndex, Site
    from curate.model import Article


class Finding(NamedTuple):
    """What a rule reports: where in the front matter, and what is wrong there.

    What is wrong is said by ``fields``, the values of the rule's message template
    (``{where}`` defaults to the pointer as an editor reads it); a plain ``message``
    is taken as it is. ``at_key`` points at the key rather than its value (for a
    value that is absent).
    """

    pointer: Pointer
    message: str = ""
    at_key: bool = False
    fields: Mapping[str, object] | None = None
    #: How to mend it, if curate can (``curate lint --fix``).
    fix: Fix | None = None

    @classmethod
    def of(
        cls, pointer: Pointer, *, at_key: bool = False, fix: Fix | None = None, **fields: object
    ) -> Finding:
        """A finding worded by its rule's message template filled with ``fields``."""
        return cls(pointer, at_key=at_key, fields=fields, fix=fix)


class PlacedFinding(NamedTuple):
    """A finding already positioned in its file, worded by rule ``code`` like any other.

    The problems of the site's own files (a taxonomy file, ``_config.yml``) and the
    answers of the online checks are found where the file's text is at hand, not by
    a rule's check on an article; ``placed_diagnostic`` words them through the registry.
    """

    code: str
    path: str
    line: int
    column: int
    fields: Mapping[str, object]
    pointer: Pointer = ()


class AutoFix(NamedTuple):
    """Whether ``curate lint --fix`` mends a rule's findings, how, and why it is (un)safe.

    ``applicability`` None: not fixable, and ``how`` says why.
    """

    applicability: Applicability | None
    how: str

    def describe(self) -> str:
        if self.applicability is None:
            return f"Not fixable automatically: {self.how}"
        option = "--fix" if self.applicability is Applicability.SAFE else "--unsafe-fixes"
        return f"Fixable with {option} ({self.applicability.value}): {self.how}"


def replace_value(title: str, applicability: Applicability, pointer: Pointer, value: Any) -> Fix:
    """A fix that writes ``value`` at ``pointer``, in the quoting style the value had."""
    return Fix(title, applicability, (Change(ChangeKind.REPLACE, pointer, value),))


def remove_item(title: str, applicability: Applicability, pointer: Pointer) -> Fix:
    """A fix that removes the list item at ``pointer`` (e.g. ``("related", 2)``)."""
    return Fix(title, applicability, (Change(ChangeKind.REMOVE_ITEM, pointer),))


def lend_fixes(diagnostics: list[Diagnostic], findings: Iterable[Finding]) -> list[Diagnostic]:
    """``diagnostics``, those without a fix given the fix of a rule finding on the same value.

    One finding per value: a rule says nothing more about a value the schema
    rejected, but its fix may still mend the value (a URL with a trailing space).
    """
    fixes = {f.pointer: f.fix for f in findings if f.fix is not None}
    if not fixes:
        return diagnostics
    return [
        d._replace(fix=fixes[d.pointer]) if d.fix is None and d.pointer in fixes else d
        for d in diagnostics
    ]


#: What a corpus rule may look up in the site's index (``Rule.looks_up``): the
#: articles that share one of the record's own URLs (``url_keys``) ...
URL = "url"
#: ... the articles a ``related`` entry of the record links to (``RelatedRef.key``) ...
RELATED_TARGET = "related-target"
#: ... the articles whose post name has the record's slug (``2021-06-30-<slug>.md``).
POST_NAME = "post-name"
#: ... the articles rendered at the record's output file (``jekyll.destination``) ...
OUTPUT_URL = "output-url"
#: ... the articles of the record's provider (``taxonomy.provider_key``) ...
PROVIDER = "provider"
#: ... the articles whose related entries link to a page with the slug of the record's
#: own page (``related.page_slug``), and the articles at the URLs those entries link to.
LINKED_BY = "linked-by"
LOOKUPS = frozenset({URL, RELATED_TARGET, POST_NAME, OUTPUT_URL, PROVIDER, LINKED_BY})

ArticleCheck = Callable[["Article", "Site"], Iterator[Finding]]
CorpusCheck = Callable[["ArticleRecord", "CorpusIndex", "Site"], Iterator[Finding]]

#: What a rule checks: one article on its own, an article against the site's index,
#: the site's own files (found when the site is read), or the web behind the links
#: (found only by ``lint --online`` and ``links``).
Scope = Literal["article", "corpus", "site", "online"]


@dataclass(frozen=True)
class Rule:
    """A registered rule: its identity, its documentation and its check."""

    code: str
    name: str
    severity: Severity
    message: str
    summary: str
    why: str
    example: str
    fix: str
    check: ArticleCheck | None = None
    check_corpus: CorpusCheck | None = None
    #: The findings depend on the clock, and only ever disappear as it moves on (a
    #: date in the future stops being one). Such rules are re-run when a run reuses
    #: the remembered cross-article findings.
    clock: bool = False
    #: Whether and how ``curate lint --fix`` mends the findings (None: not said).
    autofix: AutoFix | None = None

    @property
    def fixable(self) -> Applicability | None:
        return self.autofix.applicability if self.autofix is not None else None

    #: For a corpus rule, what it looks up in the index (a subset of ``LOOKUPS``);
    #: a warm run of a few files then indexes only the articles those lookups can
    #: reach. None: anything, so the whole index is built (the safe default).
    looks_up: frozenset[str] | None = None
    #: Derived from the check given; a rule without one says "site" or "online".
    scope: Scope | None = None

    def __post_init__(self) -> None:
        derived: Scope | None = (
            "article" if self.check is not None else "corpus" if self.check_corpus else None
        )
        if derived is None and self.scope not in ("site", "online"):
            raise ValueError(f"rule {self.code} has no check: its scope is 'site' or 'online'")
        if derived is not None and self.scope not in (None, derived):
            raise ValueError(f"rule {self.code} checks the {derived}, not the {self.scope}")
        if derived is not None:
            object.__setattr__(self, "scope", derived)

    def message_for(self, finding: Finding | PlacedFinding) -> str:
        """The finding in words: the message template filled with its fields.

        ``{where}`` is the finding's pointer as an editor reads it unless the fields
        say otherwise. Values are not escaped: the reporters escape what they print.
        """
        fields = finding.fields
        if fields is None:
            return finding.message if isinstance(finding, Finding) else self.message
        if "where" not in fields:
            fields = {"where": format_pointer(finding.pointer), **fields}
        try:
            return self.message.format_map(fields)
        except (LookupError, ValueError, AttributeError) as error:
            # A bug in the rule (a field it forgot) is a finding, never the end of the run.
            return f"internal error in rule {self.code}: {error!r}"

    @property
    def doc(self) -> CodeDoc:
        return CodeDoc(
            self.code, self.name, self.severity, self.summary, self.why, self.example, self.fix
        )


class UnknownCodeError(ValueError):
    """A code or prefix given to --select/--ignore matches nothing."""


_REGISTRY: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.looks_up is not None and not rule.looks_up <= LOOKUPS:
        raise ValueError(f"rule {rule.code} looks up {sorted(rule.looks_up - LOOKUPS)}")
    if rule.code in _REGISTRY or any(r.name == rule.name for r in _REGISTRY.values()):
        raise ValueError(f"rule {rule.code} {rule.name} is registered twice")
    _REGISTRY[rule.code] = rule
    return rule


def rule(
    code: str,
    name: str,
    severity: Severity,
    *,
    message: str,
    summary: str,
    why: str,
    example: str,
    fix: str,
    corpus: bool = False,
    clock: bool = False,
    autofix: AutoFix | None = None,
    looks_up: Iterable[str] | None = None,
) -> Callable[[Callable[..., Iterator[Finding]]], Callable[..., Iterator[Finding]]]:
    """Register the decorated function as the check of a rule."""

    def decorate(function: Callable[..., Iterator[Finding]]) -> Callable[..., Iterator[Finding]]:
        register(
            Rule(
                code,
                name,
                severity,
                message,
                summary,
                why,
                example,
                fix,
                check=None if corpus else function,
                check_corpus=function if corpus else None,
                clock=clock,
                autofix=autofix,
                looks_up=None if looks_up is None else frozenset(looks_up),
            )
        )
        return function

    return decorate


def all_rules() -> dict[str, Rule]:
    """Every registered rule, importing the rule modules on first use."""
    _load_rule_modules()
    return dict(sorted(_REGISTRY.items()))


def registered(code: str) -> Rule:
    """The rule of ``code`` (KeyError if none), importing the rule modules on first use."""
    found = _REGISTRY.get(code)
    if found is None:
        _load_rule_modules()
        found = _REGISTRY[code]
    return found


def _load_rule_modules() -> None:
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


#: Automatic fixes of codes that are not rules (found while reading the file).
BUILTIN_AUTOFIX = {
    "FM006": AutoFix(
        Applicability.SAFE,
        "the earlier occurrences of the key are removed, with their values. Safe: YAML "
        "already ignores them, so the parsed front matter does not change.",
    ),
}


#: Why some findings that look mechanical are left to the editor.
NOT_FIXABLE = {
    "DT001": AutoFix(
        None,
        "renaming the post changes its URL (Jekyll builds it from the file name), which "
        "breaks every link to it; and which of the two dates is right is the editor's call.",
    ),
    "IM001": AutoFix(None, "curate cannot choose an article's picture."),
    "IM006": AutoFix(None, "a missing image file cannot be made up; add it or correct the path."),
    "TX004": AutoFix(None, "a missing image file cannot be made up; add it or correct the path."),
    "TI003": AutoFix(None, "curate cannot know the real headline."),
    "RL008": AutoFix(
        None,
        "the links to mend are in other articles, and a fix edits only the file it is about; "
        "fix those articles' RL001 findings instead.",
    ),
}


def autofix(code: str) -> AutoFix | None:
    """Whether and how ``curate lint --fix`` mends findings of ``code`` (None: not said)."""
    found = all_rules().get(code)
    if found is not None and found.autofix is not None:
        return found.autofix
    return BUILTIN_AUTOFIX.get(code) or NOT_FIXABLE.get(code)


def placed_diagnostic(finding: PlacedFinding) -> Diagnostic:
    """A placed finding with its rule's severity, name and words."""
    found = registered(finding.code)
    return Diagnostic(
        finding.path,
        finding.line,
        finding.column,
        found.code,
        found.severity,
        found.message_for(finding),
        found.name,
        finding.pointer,
    )


def all_codes() -> dict[str, CodeDoc]:
    """Documentation of every code curate can report: file, schema and rule codes."""
    docs = {doc.code: doc for doc in BUILTIN_CODES}
    docs.update({code: rule.doc for code, rule in all_rules().items()})
    return dict(sorted(docs.items()))


def check_codes(patterns: Iterable[str]) -> None:
    """Raise UnknownCodeError for a code or prefix that matches no known code."""
    codes = all_codes()
    for pattern in patterns:
        if pattern.upper() == "ALL" or any(code.startswith(pattern) for code in codes):
            continue
        names = {doc.name: code for code, doc in codes.items()}
        close = difflib.get_close_matches(pattern, list(codes), n=3) or (
            difflib.get_close_matches(pattern.lower(), list(names), n=3)
        )
        hint = ", ".join(
            f"{c} ({codes[c].name})" if c in codes else f"{names[c]} ({c})" for c in close
        )
        suggestion = f"; did you mean {hint}?" if hint else "; 'curate rules' lists them"
        raise UnknownCodeError(f"unknown rule code '{pattern}'{suggestion}")


def _matches(code: str, patterns: Iterable[str]) -> int:
    """Length of the longest pattern matching ``code`` (0 if none); ALL matches shortly."""
    best = 0
    for pattern in patterns:
        if pattern.upper() == "ALL":
            best = max(best, 1)
        elif code.startswith(pattern):
            best = max(best, len(pattern) + 1)
    return best


class Selection(NamedTuple):
    """Which codes are reported, as Ruff decides it: the most specific pattern wins."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()

    def enabled(self, code: str) -> bool:
        selected = _matches(code, (self.select or ("ALL",)) + self.extend_select)
        ignored = _matches(code, self.ignore)
        return selected > ignored

    def rules(self) -> list[Rule]:
        return [rule for code, rule in all_rules().items() if self.enabled(code)]
