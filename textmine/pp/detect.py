"""Find identifiers in text: roster names and patterns (emails, phones, NHS numbers...).

:class:`Detector` returns non-overlapping :class:`Found` spans, each with the kind and the
pseudonym to write instead. Where two findings overlap, the longer wins (an e-mail address
holding a roster surname is one e-mail address) and partial overlaps are merged, so no
fragment of either is left behind.

Names are matched with one regular expression built as a character trie of every form the
roster gives (fast however long the roster): case-insensitive for full names and aliases,
capitalised only (``Jane``, ``JANE``) for a person's first name or surname on its own,
which would otherwise hit ordinary words ("will", "may"), and in lower case only when it is
not an ordinary English word ("jane" is found, "will" is not). A name is bounded by
non-alphanumeric characters, so ``Jane's``, ``Jane_Smith`` and ``(Jane)`` are found; words
within a name may be separated by any whitespace (line breaks included), ``-``, ``_`` or
``.``; accents are optional (``Zoë`` also finds ``Zoe``); a plural ``s`` is included.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import phonenumbers
from stdnum.gb import nhs

from textmine.pp.roster import RosterEntry
from textmine.text import common_words

# ---------------------------------------------------------------------------- patterns

PLACEHOLDER = {"email": "[EMAIL]", "phone": "[PHONE]", "nhs_number": "[NHS_NUMBER]",
               "postcode": "[POSTCODE]", "url": "[URL]"}
AMBIGUOUS = {"person": "[PERSON]", "organisation": "[ORG]", "place": "[PLACE]"}

_EMAIL = re.compile(
    r"(?<![\w.%+'\-])[\w.%+'\-]+"
    r"(?:@|\s?[\[(]at[\])]\s?)"
    r"[\w\-]+(?:(?:\.|\s?[\[(]dot[\])]\s?)[\w\-]+)+",
    re.IGNORECASE)
_TLDS = ("uk|com|org|net|gov|edu|io|ie|eu|info|int|nhs|scot|wales|ac|co|biz|me|us|de|fr|nl|"
         "au|ca|app|dev|online|site|health|care|ai")
_URL = re.compile(
    r"(?:(?:https?|ftp)://|www\.)[^\s<>\"'`]+"
    rf"|(?<![\w@.\-])(?:[a-z0-9](?:[a-z0-9\-]{{0,61}}[a-z0-9])?\.)+(?:{_TLDS})"
    r"(?![\w\-@])(?:/[^\s<>\"'`]*)?",
    re.IGNORECASE)
# spoken addresses as transcribers write them: "jane dot smith at nhs dot net"
_SPOKEN_EMAIL = re.compile(
    r"(?<![\w.])\w+(?:\s+dot\s+\w+)*\s+at\s+\w+(?:\s+dot\s+\w+)*\s+dot\s+"
    rf"(?:{_TLDS})(?!\w)", re.IGNORECASE)
_URL_TRAIL = ".,;:!?)]}'\"’”"
# NHS numbers: 10 digits, 3-3-4 with optional space or dash (validated by check digit below)
_NHS = re.compile(r"(?<![\w.])(\d{3})[ \u00a0\-]?(\d{3})[ \u00a0\-]?(\d{4})(?![\w]|\.\d)")
# UK postcodes: the official shape with its letter rules (any case), or the loose shape
# (capitals only) that real lists and generators also produce
_PC_STRICT = (r"(?:GIR ?0AA|(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
              r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRV-Y])"
              r"[ \u00a0]?[0-9][ABD-HJLNP-UW-Z]{2})")
_POSTCODE = re.compile(
    rf"(?<![^\W_])(?:(?i:{_PC_STRICT})|[A-Z]{{1,2}}[0-9][A-Z0-9]?[ \u00a0]?[0-9][A-Z]{{2}})"
    r"(?![^\W_])")
_PHONE_START = re.compile(r"^(?:\+|00|\(?0)")


def _emails(text: str) -> Iterable[tuple[int, int]]:
    for regex in (_EMAIL, _SPOKEN_EMAIL):
        for m in regex.finditer(text):
            yield m.start(), m.end()


def _urls(text: str) -> Iterable[tuple[int, int]]:
    for m in _URL.finditer(text):
        start, end = m.start(), m.end()
        while end > start and text[end - 1] in _URL_TRAIL:
            end -= 1
        if end > start:
            yield start, end


def _nhs_numbers(text: str) -> Iterable[tuple[int, int]]:
    for m in _NHS.finditer(text):
        if nhs.is_valid(m.group(1) + m.group(2) + m.group(3)):
            yield m.start(), m.end()


def _postcodes(text: str) -> Iterable[tuple[int, int]]:
    for m in _POSTCODE.finditer(text):
        yield m.start(), m.end()


def _phones(text: str) -> Iterable[tuple[int, int]]:
    # libphonenumber's lenient matcher finds numbers in any written form (brackets, dashes,
    # +44 (0), extensions) including the fictional ranges Ofcom keeps for drama and tests;
    # "possible" alone would also take years and counts, so a number must be written as
    # people write phone numbers: starting with +, 00 or a trunk 0, with at least 9 digits
    matcher = phonenumbers.PhoneNumberMatcher(text, "GB",
                                              leniency=phonenumbers.Leniency.POSSIBLE)
    for match in matcher:
        raw = match.raw_string
        if _PHONE_START.match(raw) and sum(c.isdigit() for c in raw) >= 9:
            yield match.start, match.end


PATTERNS = {"email": _emails, "url": _urls, "nhs_number": _nhs_numbers,
            "postcode": _postcodes, "phone": _phones}
# on a tie in length the earlier kind wins (a valid NHS number is not a phone number)
PRIORITY = ("email", "url", "nhs_number", "phone", "postcode", "person", "organisation",
            "place")

# ---------------------------------------------------------------------------- names

_SEP = r"(?:\.?[\s_\-\u2010\u2011\u2013]+|\.)"
_SEP_SPLIT = re.compile(r"\.?[\s_\-\u2010\u2011\u2013]+|\.")
_INITIAL = re.compile(r"(?<![^\W_])[A-Z]\.?[ \t]+\Z")
_APOSTROPHES = "'\u2019\u2018`\u02bc"
_APOS_CLASS = "['\u2019\u2018`\u02bc]"
TITLES = frozenset([
    "dr", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "sir", "dame", "lord",
    "lady", "rev", "revd", "reverend", "nurse", "sister", "matron", "cllr", "councillor",
])
PARTICLES = frozenset([
    "van", "von", "de", "der", "den", "du", "la", "le", "da", "di", "del", "della", "bin",
    "al", "el", "ter", "ten", "dos", "das", "of", "and", "the", "st", "saint",
])
# generic words at the end of an organisation's name that a shorter mention leaves out
# ("Leeds Teaching Hospitals" for "Leeds Teaching Hospitals NHS Trust")
ORG_SUFFIXES = frozenset([
    "nhs", "foundation", "trust", "trusts", "ltd", "limited", "plc", "llp", "cic", "ccg",
    "icb", "ics", "group", "partnership", "partners", "network", "networks", "clinical",
    "innovation", "alliance", "services", "service", "board", "council", "health",
    "healthcare", "care", "hospitals", "hospital", "university", "teaching", "community",
    "centre", "center", "practice", "surgery", "collaborative", "collaboration",
    "programme", "team", "unit", "department", "authority", "agency", "commission",
    "institute", "college", "school", "society", "association", "system", "systems",
    "integrated", "primary", "secondary", "mental", "ambulance", "&", "and", "of", "the",
])


def fold(text: str) -> str:
    """Accents removed (``Zoë`` -> ``Zoe``), for accent-insensitive name matching."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_key(text: str) -> str:
    """The lookup key of a name form: separators to one space, apostrophes unified, folded."""
    text = _SEP_SPLIT.sub(" ", text.strip())
    for a in _APOSTROPHES:
        text = text.replace(a, "'")
    return fold(" ".join(text.split())).casefold()


def _tokens(name: str) -> list[str]:
    return [t for t in _SEP_SPLIT.split(name.strip()) if t]


def _org_shortenings(tokens: list[str]) -> list[list[str]]:
    """Leading words of an organisation's name, dropping only generic words at the end."""
    out = []
    words = list(tokens)
    while len(words) > 1 and words[-1].casefold() in ORG_SUFFIXES:
        words.pop()
        if words[-1].casefold() not in PARTICLES | {"&"}:
            out.append(list(words))
    return out


class _Trie:
    """Name forms as a character trie, emitted as one regular expression."""

    def __init__(self) -> None:
        self.root: dict = {}

    def add(self, form: str) -> None:
        node = self.root
        for atom in self._atoms(form):
            node = node.setdefault(atom, {})
        node[""] = True

    @staticmethod
    def _atoms(form: str) -> list[str]:
        atoms = []
        for i, token in enumerate(_tokens(form)):
            if i:
                atoms.append(_SEP)
            for ch in token:
                atoms.append(_APOS_CLASS if ch in _APOSTROPHES else re.escape(ch))
        return atoms

    def pattern(self) -> str | None:
        return self._emit(self.root) if self.root else None

    def _emit(self, node: dict) -> str:
        branches = [atom + self._emit(child) for atom, child in sorted(node.items()) if atom]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # a form may end here; longer forms are tried first (greedy)
            return f"(?:{body})?"
        return body


@dataclass(frozen=True)
class _Target:
    kind: str
    pseudonym: str
    entry: int  # roster index, -1 when ambiguous


class NameMatcher:
    """Every form of every roster entry, matched in one pass."""

    def __init__(self, entries: Sequence[RosterEntry], *, name_parts: bool = True) -> None:
        strong: dict[str, _Target] = {}
        strong_trie, cased_trie, weak_trie = _Trie(), _Trie(), _Trie()
        for index, entry in enumerate(entries):
            target = _Target(entry.kind, entry.pseudonym, index)
            for form in self._strong_forms(entry):
                key = name_key(form)
                if key and key not in strong:  # an explicit form names one entry (checked)
                    strong[key] = target
                if len(_tokens(form)) == 1 and form.lower() in common_words():
                    # a place called Reading or Bath: the word "reading" is not the place
                    for variant in {form, fold(form)}:
                        cased_trie.add(variant[0].upper() + variant[1:])
                        cased_trie.add(variant.upper())
                    continue
                for variant in {form.lower(), fold(form).lower()}:
                    strong_trie.add(variant)
        # a first name or surname alone: it names an entry only if no other entry shares it
        owners: dict[str, dict[int, list[str]]] = {}
        for index, entry in enumerate(entries):
            for form in self._weak_forms(entry, name_parts):
                key = name_key(form)
                if key and key not in strong:
                    owners.setdefault(key, {}).setdefault(index, []).append(form)
        weak: dict[str, _Target] = {}
        for key, by_entry in owners.items():
            indices = sorted(by_entry)
            first = entries[indices[0]]
            if len(indices) == 1:
                weak[key] = _Target(first.kind, first.pseudonym, indices[0])
            else:  # two people called Jane: "Jane" alone cannot be attributed
                weak[key] = _Target(first.kind, AMBIGUOUS[first.kind], -1)
            for forms in by_entry.values():
                for form in forms:
                    for variant in {form, fold(form)}:
                        weak_trie.add(variant[0].upper() + variant[1:])
                        weak_trie.add(variant.upper())
                        if variant.lower() not in common_words():  # "jane", not "will"
                            weak_trie.add(variant.lower())
        self.strong, self.weak = strong, weak
        self._strong = self._compile(strong_trie, re.IGNORECASE)
        self._cased = self._compile(cased_trie, 0)
        self._weak = self._compile(weak_trie, 0)

    @staticmethod
    def _compile(trie: _Trie, flags: int) -> re.Pattern[str] | None:
        body = trie.pattern()
        if body is None:
            return None
        return re.compile(rf"(?<![^\W_])(?:{body})(?:s(?![^\W_])|(?![^\W_]))", flags)

    @staticmethod
    def _strong_forms(entry: RosterEntry) -> list[str]:
        forms = [entry.name, *entry.aliases]
        tokens = _tokens(entry.name)
        if entry.kind == "person" and len(tokens) > 1 and tokens[0].casefold() in TITLES:
            forms.append(" ".join(tokens[1:]))  # "Dr Jane Smith" is also "Jane Smith"
        if entry.kind == "organisation":
            forms.extend(" ".join(words) for words in _org_shortenings(tokens)
                         if len(words) >= 2)
        return forms

    @staticmethod
    def _weak_forms(entry: RosterEntry, name_parts: bool) -> list[str]:
        if entry.kind == "organisation":  # "Acme" for "Acme Ltd", as a weak form
            return [words[0] for words in _org_shortenings(_tokens(entry.name))
                    if len(words) == 1 and len(words[0]) >= 4]
        if not name_parts or entry.kind != "person":
            return []
        forms = []
        for form in [entry.name, *entry.aliases]:
            tokens = _tokens(form)
            if len(tokens) < 2:
                continue
            # whole words as written ("O'Brien-Hughes") and their pieces ("Hughes")
            for token in dict.fromkeys([*form.split(), *tokens]):
                bare = token.strip(_APOSTROPHES + ".,")
                if len(bare) >= 2 and bare.casefold() not in TITLES | PARTICLES:
                    forms.append(bare)
        return forms

    def find(self, text: str) -> list[Found]:
        """Every roster name in ``text`` (overlaps not yet resolved)."""
        out: list[Found] = []
        for regex, table in ((self._strong, self.strong), (self._cased, self.strong),
                             (self._weak, self.weak)):
            if regex is None:
                continue
            for m in regex.finditer(text):
                key = name_key(m.group())
                target = table.get(key) or (table.get(key[:-1]) if key.endswith("s") else None)
                if target is None:
                    continue
                start = m.start()
                if target.kind == "person":  # "J. Smith": the initial goes with the name
                    initial = _INITIAL.search(text, max(0, start - 4), start)
                    start = initial.start() if initial else start
                out.append(Found(start, m.end(), target.kind, target.pseudonym,
                                 text[start:m.end()]))
        return out


# ---------------------------------------------------------------------------- detector


@dataclass(frozen=True)
class Found:
    """An identifier in a text: ``text[start:end]`` is replaced by ``pseudonym``."""

    start: int
    end: int
    kind: str
    pseudonym: str
    original: str


def resolve(found: Iterable[Found]) -> list[Found]:
    """Non-overlapping findings: the longer of two overlapping wins, partial overlaps merge."""
    rank = {kind: i for i, kind in enumerate(PRIORITY)}
    ordered = sorted(found, key=lambda f: (f.start, -(f.end - f.start), rank.get(f.kind, 99)))
    out: list[Found] = []
    for f in ordered:
        if out and f.start < out[-1].end:
            last = out[-1]
            if f.end > last.end:  # straddles: widen the kept one so nothing leaks
                out[-1] = Found(last.start, f.end, last.kind, last.pseudonym,
                                last.original + f.original[last.end - f.start:])
            continue
        out.append(f)
    return out


class Detector:
    """Roster names and identifier patterns, found together.

    Parameters
    ----------
    entries
        Roster entries (may be empty).
    patterns
        Pattern kinds to look for (``email``, ``phone``, ``nhs_number``, ``postcode``,
        ``url``).
    custom
        ``LABEL -> regex``: further identifiers, replaced by ``[LABEL]``.
    name_parts
        Also find a roster person's first name or surname on its own.
    """

    def __init__(self, entries: Sequence[RosterEntry] = (), *,
                 patterns: Sequence[str] = tuple(PATTERNS),
                 custom: Mapping[str, str] | None = None, name_parts: bool = True) -> None:
        self.entries = list(entries)
        self.names = NameMatcher(self.entries, name_parts=name_parts) if self.entries else None
        self.patterns = [p for p in PATTERNS if p in set(patterns)]
        self.custom = {label: re.compile(p) for label, p in (custom or {}).items()}

    def find(self, text: str) -> list[Found]:
        """Non-overlapping identifiers in ``text``, in order."""
        found: list[Found] = []
        for kind in self.patterns:
            found.extend(Found(s, e, kind, PLACEHOLDER[kind], text[s:e])
                         for s, e in PATTERNS[kind](text))
        for label, regex in self.custom.items():
            found.extend(Found(m.start(), m.end(), label.lower(), f"[{label.upper()}]",
                               m.group()) for m in regex.finditer(text) if m.end() > m.start())
        if self.names is not None:
            found.extend(self.names.find(text))
        return resolve(found)

    def replace(self, text: str) -> tuple[str, list[Found]]:
        """``text`` with every identifier replaced, and what was replaced."""
        found = self.find(text)
        if not found:
            return text, found
        parts, pos = [], 0
        for f in found:
            parts.append(text[pos:f.start])
            parts.append(f.pseudonym)
            pos = f.end
        parts.append(text[pos:])
        return "".join(parts), found
