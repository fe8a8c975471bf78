"""Plant identifiers into real transcripts, remembering exactly where each one went.

The planted set measures :func:`textmine.pp.protect`: a roster of invented people,
organisations and places (Faker, en_GB, seeded) written into real transcripts in the forms
people use (full name, first name alone, surname with a title, possessives, capitals, a line
break inside a name, an organisation without its "NHS Trust", an alias), together with
e-mail addresses, UK phone numbers in many layouts, NHS numbers (valid check digit; spaced,
dashed or contiguous), UK postcodes and URLs. Identifiers come from a generator independent
of textmine's detectors (Faker's own formats plus hand-written layouts), so the figures say
how the detectors do on text they were not written against.
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from faker import Faker

ORG_SUFFIXES = ["NHS Foundation Trust", "NHS Trust", "Health Partners", "Clinical Network",
                "Innovation Network", "Ltd"]


@dataclass
class Planted:
    """One planted identifier: ``text[start:end] == original`` in document ``doc_id``."""

    doc_id: str
    start: int
    end: int
    kind: str
    form: str
    original: str


@dataclass
class PlantedStudy:
    """Transcripts with identifiers planted, the roster, and where every identifier is."""

    texts: dict[str, str]
    roster: list[dict[str, str]]
    planted: list[Planted] = field(default_factory=list)

    def strings(self) -> set[str]:
        """Every planted identifier, whitespace normalised (as it would appear in output)."""
        return {" ".join(p.original.split()) for p in self.planted}


def nhs_number(rng: random.Random) -> str:
    """A random 10-digit NHS number with a valid mod-11 check digit."""
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def _uk_phone(rng: random.Random, fake: Faker) -> str:
    layouts = [
        lambda: fake.phone_number(),
        lambda: f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
        lambda: f"+44 7{rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
        lambda: f"+44 (0)20 {rng.randint(7000, 8999)} {rng.randint(1000, 9999)}",
        lambda: f"(01{rng.randint(10, 99)}) {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
        lambda: f"01{rng.randint(100, 999)}-{rng.randint(100000, 999999)}",
        lambda: f"0{rng.choice(['113', '114', '121', '131', '141', '151', '161'])} "
                f"{rng.randint(100, 999)} {rng.randint(1000, 9999)}",
        lambda: f"07{rng.randint(100000000, 999999999)}",
        lambda: f"0800 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
        lambda: f"+447{rng.randint(100000000, 999999999)}",
    ]
    return rng.choice(layouts)()


def _nhs_form(rng: random.Random) -> str:
    n = nhs_number(rng)
    return rng.choice([f"{n[:3]} {n[3:6]} {n[6:]}", n, f"{n[:3]}-{n[3:6]}-{n[6:]}"])


def _postcode(rng: random.Random, fake: Faker) -> str:
    return rng.choice([fake.postcode, lambda: rng.choice(
        ["SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "EC1A 1BB", "W1A 0AX",
         "LS1 4AP", "HG1 2AB", "G2 3WT"])])()


def _url(rng: random.Random, fake: Faker) -> str:
    word = re.sub(r"[^a-z]", "", fake.last_name().lower())
    return rng.choice([
        fake.url, lambda: f"www.{word}-gp.nhs.uk", lambda: f"https://{word}.org.uk/contact",
        lambda: f"{word}surgery.co.uk", lambda: f"http://www.{word}.com/team?id=3",
    ])()


def _email(rng: random.Random, fake: Faker, person: dict[str, str] | None) -> str:
    if person is not None and rng.random() < 0.5:
        first, *_, last = person["name"].split()
        return f"{first.lower()}.{last.lower()}@{rng.choice(['nhs.net', 'leedsth.nhs.uk'])}"
    return fake.email()


def make_roster(seed: int, *, n_people: int = 30, n_orgs: int = 8,
                n_places: int = 8) -> list[dict[str, str]]:
    """An invented roster: people (some with a title, pseudonym or alias), orgs, places."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    seen: set[str] = set()

    def add(row: dict[str, str]) -> None:
        forms = [row["name"], *filter(None, row.get("aliases", "").split(";"))]
        if any(f.casefold() in seen for f in forms):
            return
        seen.update(f.casefold() for f in forms)
        rows.append(row)

    while sum(r["kind"] == "person" for r in rows) < n_people:
        first, last = fake.first_name(), fake.last_name()
        title = rng.choice(["", "", "", "Dr ", "Prof "])
        row = {"name": f"{title}{first} {last}", "kind": "person", "pseudonym": "",
               "aliases": ""}
        if rng.random() < 0.2:
            row["pseudonym"] = f"Participant {len(rows) + 1}"
        add(row)
    while sum(r["kind"] == "organisation" for r in rows) < n_orgs:
        base = f"{fake.city()} {rng.choice(['Teaching Hospitals', 'Community Health', 'Care'])}"
        name = f"{base} {rng.choice(ORG_SUFFIXES)}"
        acronym = "".join(w[0] for w in name.split() if w[0].isupper())
        add({"name": name, "kind": "organisation", "pseudonym": "",
             "aliases": acronym if len(acronym) >= 3 else ""})
    while sum(r["kind"] == "place" for r in rows) < n_places:
        add({"name": fake.city(), "kind": "place", "pseudonym": "", "aliases": ""})
    return rows


def write_roster(path: Path, roster: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["name", "kind", "pseudonym", "aliases"])
        writer.writeheader()
        writer.writerows(roster)
    return path


def _name_forms(row: dict[str, str], rng: random.Random) -> list[tuple[str, str, str, str]]:
    """``(form, before, name, after)``: ways a transcript mentions a roster entry.

    Only ``name`` is the identifier; a title before it or a possessive after it is not.
    """
    name = row["name"]
    words = name.split()
    if row["kind"] == "person":
        title = words[0] if words[0] in ("Dr", "Prof") else None
        first, last = (words[1], words[-1]) if title else (words[0], words[-1])
        full = f"{first} {last}"
        return [("full", "", name, ""), ("full_no_title", "", full, ""),
                ("first", "", first, ""),
                ("surname_title", f"{rng.choice(['Dr', 'Mrs', 'Mr', 'Ms'])} ", last, ""),
                ("possessive", "", first, "'s"), ("possessive_curly", "", full, "\u2019s"),
                ("upper", "", full.upper(), ""), ("line_break", "", f"{first}\n{last}", ""),
                ("surname", "", last, ""), ("lower_full", "", full.lower(), "")]
    forms = [("full", "", name, ""), ("upper", "", name.upper(), ""),
             ("possessive", "", name, "'s")]
    if row["kind"] == "organisation":
        for suffix in ORG_SUFFIXES:
            if name.endswith(" " + suffix) and len(name.split()) - len(suffix.split()) >= 2:
                forms.append(("no_suffix", "", name[: -len(suffix) - 1], ""))
        if row.get("aliases"):
            forms.append(("alias", "", row["aliases"].split(";")[0], ""))
    return forms


_TEMPLATES = {
    "person": ["I spoke to {x} about it.", "{x} said it would help.", "Ask {x} - they know.",
               "It was {x} who set it up."],
    "organisation": ["We work with {x} on that.", "At {x} we tried it.", "{x} funded it."],
    "place": ["We were based in {x} then.", "The team in {x} liked it.", "Back in {x}, yes."],
    "email": ["You can email me at {x} if needed.", "Send it to {x}."],
    "phone": ["My number is {x} if you need it.", "Call {x} any time."],
    "nhs_number": ["Her NHS number was {x}, I remember.", "NHS no. {x} was on the form."],
    "postcode": ["The clinic is at {x}.", "We covered {x} and around."],
    "url": ["It's all on {x} now.", "See {x} for the details."],
}


def plant(texts: dict[str, str], roster: list[dict[str, str]], seed: int, *,
          per_doc: int = 30) -> PlantedStudy:
    """Insert ``per_doc`` identifier sentences into each text after sentence ends."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    people = [r for r in roster if r["kind"] == "person"]
    study = PlantedStudy(texts={}, roster=roster)
    kinds = ["person", "person", "person", "organisation", "place", "email", "phone",
             "nhs_number", "postcode", "url"]
    for doc_id, text in texts.items():
        slots = [m.end() for m in re.finditer(r"[.?!] (?=[A-Z])", text)]
        if not slots:
            slots = [m.end() for m in re.finditer(r"\n", text)] or [len(text)]
        chosen = sorted(rng.sample(slots, min(per_doc, len(slots))))
        inserts = []
        for position in chosen:
            kind = rng.choice(kinds)
            lead = trail = ""
            if kind in ("person", "organisation", "place"):
                row = rng.choice([r for r in roster if r["kind"] == kind])
                form, lead, value, trail = rng.choice(_name_forms(row, rng))
            elif kind == "email":
                form, value = "email", _email(rng, fake, rng.choice(people))
            elif kind == "phone":
                form, value = "phone", _uk_phone(rng, fake)
            elif kind == "nhs_number":
                form, value = "nhs_number", _nhs_form(rng)
            elif kind == "postcode":
                form, value = "postcode", _postcode(rng, fake)
            else:
                form, value = "url", _url(rng, fake)
            template = rng.choice(_TEMPLATES[kind])
            inserts.append((position, kind, form, value, template.replace(
                "{x}", lead + "{x}" + trail)))
        out, pos, shift = [], 0, 0
        for position, kind, form, value, template in inserts:
            out.append(text[pos:position])
            before, after = template.split("{x}")
            sentence = before + value + after + " "
            start = position + shift + len(before)
            study.planted.append(Planted(doc_id, start, start + len(value), kind, form, value))
            out.append(sentence)
            shift += len(sentence)
            pos = position
        out.append(text[pos:])
        study.texts[doc_id] = "".join(out)
        for p in study.planted:
            if p.doc_id == doc_id:
                assert study.texts[doc_id][p.start:p.end] == p.original
    return study


def real_transcripts(data_dir: Path, *, n_commons: int = 4) -> dict[str, str]:
    """Real transcripts: the 17 think-aloud sessions, 4 focus groups, some Commons debates.

    Focus groups and debates are written as ``Name: text`` transcripts.
    """
    texts = {}
    for path in sorted((data_dir / "serdif_thinkaloud/transcripts/txt").glob("*.txt")):
        texts[path.stem] = path.read_text(encoding="utf-8")
    groups: dict[str, list[str]] = {}
    fg = data_dir / "os_focus_groups/Data/Prepped Data/masterTranscript.csv"
    with open(fg, encoding="utf-8-sig", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: int(r["commentNumber"]))
    for row in rows:
        if row["Comment"].strip():
            groups.setdefault(row["Transcript"], []).append(
                f"{row['Participant']}: {' '.join(row['Comment'].split())}")
    texts.update({f"fg_{k}": "\n\n".join(v) + "\n" for k, v in groups.items()})
    speeches = pd.read_csv(data_dir / "uk_commons_covid_2020/uk_covid_speeches_2020.csv")
    for n, (_subject, debate) in enumerate(speeches.groupby("debate_subject", sort=True)):
        if n >= n_commons:
            break
        texts[f"commons_{n}"] = "\n\n".join(
            f"{speaker}: {' '.join(str(body).split())}"
            for speaker, body in zip(debate["speaker_name"], debate["text"], strict=True)) + "\n"
    return texts
