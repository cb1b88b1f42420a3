"""Tokenize raw English newswire and split it into sentences the way CoNLL-2003 was tokenised.

CoNLL-2003 is Reuters text in Penn Treebank style: punctuation and clitics split off ("Germany"
"'s", "do" "n't"), while abbreviations ("U.S.", "Inc."), numbers ("1,000", "3.5", "10:30", "6-3")
and hyphenated words ("one-day") stay whole. Every token keeps its character offsets, and its text
is always exactly `text[start:end]`: quotes and other characters are never normalised.

One `finditer` pass over one precompiled pattern does the tokenising; the splitter then does
work only for the few tokens that can end a sentence.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True, slots=True)
class Token:
    """One token: `text == original[start:end]`, offsets in characters, `end` exclusive."""

    text: str
    start: int
    end: int


# Abbreviations kept whole with their trailing period, as regex alternatives. Case matters:
# "Ill." is Illinois, "ill." is not.
_TITLES = (  # titles, ranks and name suffixes, and places named after them
    "Mr|Mrs|Ms|Messrs|Dr|Prof|Sen|Sens|Rep|Reps|Gov|Gen|Lt|Col|Capt|Cmdr|Sgt|Maj|Adm|Rev|Fr|"
    "Hon|Pres|Jr|Sr|St|Mt|Ft|Ave|Blvd|Rd|ST"
)
_COMPANIES = "Inc|Corp|Co|Cos|Ltd|Bros|Assn|Dept|Govt|Intl|Mfg|INC|CORP|CO|LTD"
_MONTHS = "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"  # never "May.", "June.", "July."
_STATES = (  # US states in Reuters/AP style, as in "Menlo Park, Calif."
    "Ala|Ariz|Ark|Calif|Colo|Conn|Del|Fla|Ga|Ill|Ind|Kan|Ky|La|Md|Mass|Mich|Minn|Miss|Mo|Mont|"
    "Neb|Nev|Okla|Ore|Pa|Tenn|Tex|Va|Vt|Wash|Wis|Wyo"
)
_LOWER_CASE = "vs|etc|approx|est|vol"
_ABBREVIATION = f"{_TITLES}|{_COMPANIES}|{_MONTHS}|{_STATES}|{_LOWER_CASE}"

# The clitics PTB splits off, written without their apostrophe.
_CLITIC = r"(?i:s|m|d|ll|re|ve)\b"

# A word character; combining accents count, so decomposed "é" stays inside its word.
_W = r"[\w\u0300-\u036f]"

# Whitespace, and the zero-width characters that separate nothing visible.
_SPACE = r"[\s\u200b-\u200d\u2060\ufeff]"

# Group 1 is the token; the whitespace before it is consumed first, so that `finditer` never
# tries every branch at every blank. The branches are tried in order: the first two are fast
# paths for the plain words and punctuation that make up most of newswire. Whitespace at the end
# of the text ends in the last match, with no group 1 (`\Z`): were it left unmatched, `finditer`
# would try again at each of its characters, and consume the rest of the run each time, which is
# quadratic in the run (16 s for a line of 200,000 spaces).
_TOKEN = re.compile(
    rf"""
    {_SPACE}*+ (?: (
    # a URL, without the punctuation that ends the sentence around it
      https?://[^\s"<>]*[^\s"<>.,;:!?'()\[\]{{}}…’”]
    # a plain word or number, where no rule below could apply
    | (?:[^\W\d_]++|\d++(?![.,:/]\d))(?=[\s,;:!?)"%]|\Z)
    | [,;:!?()\[\]{{}}"%$] | \.(?![.\d])
    # "1." numbering a ranked list at the start of a line, which CoNLL keeps whole
    | (?<![^\n])\d{{1,3}}\.(?=[ \t])
    # a known abbreviation, also as the head of a compound ("Calif.-based"), and "No." only
    # in front of a number ("No. 1")
    | (?:{_ABBREVIATION})\.(?:-{_W}+)*(?!{_W})
    | No\.(?=\s+\d)
    # a single capital initial, as in "J. Smith"
    | [A-Z]\.(?!{_W})
    # a currency written with its country: "US$", "C$", "HK$" (a bare "$" is punctuation)
    | [A-Z]{{1,3}}\$
    # the word in front of "n't" ("do" in "don't", "ca" in "can't"), then "n't" itself
    | {_W}+(?=(?i:n['’]t)\b)
    | (?i:n['’]t)\b
    # the other clitics: "'s", "'m", "'d", "'ll", "'re", "'ve"
    | ['’]{_CLITIC}
    # a word or number: its parts joined by an apostrophe that starts no clitic ("O'Brien"),
    # by "." "-" "&" "@" ("3.5", "U.S", "one-day", "S&P", "a@b.com", "U.S.-based"),
    # or, between digits only, by "," ":" "/" ("1,000", "10:30", "1/2");
    # a "+" sign stays on a number ("+0.05"), and so does the point of ".500", but a "-" sign
    # is split off, as in CoNLL
    | (?:[+.](?=\d))?
      {_W}+(?:(?:['’](?!{_CLITIC})|\.-?|[-&@]|(?<=\d)[,:/](?=\d)){_W}+)*
      # the period closing an abbreviation whose letters are joined by periods: "U.S.", "a.m."
      (?:(?<=\.[A-Za-z])\.(?!{_W}))?
      # a hyphen left hanging ("three- and five-year"), a rating's "+" ("AA+") or the "=" of a
      # tied place in results ("10= Nick Faldo")
      (?:-(?=\s|\Z)|(?<=[A-Z])\+(?![\w+])|(?<=\d)=(?=\s|\Z))?
    # runs of dots (an ellipsis), dashes, stars or equals signs stay one token
    | \.{{2,}} | -{{2,}} | \*{{2,}} | ={{2,}}
    # any other character on its own
    | .
    ) | \Z )""",
    re.VERBOSE | re.DOTALL,
)


def tokenize(text: str) -> list[Token]:
    """Split `text` into CoNLL-2003-style tokens with their character offsets.

    Abbreviations keep their period even at the end of a sentence; `split_sentences` splits it
    off there, as CoNLL does.
    """
    tokens = []
    for m in _TOKEN.finditer(text):
        word = m[1]
        if word is None:  # the end of the text, after any whitespace there
            break
        token = _new_token(Token)
        _set_text(token, word)
        _set_start(token, m.start(1))
        _set_end(token, m.end())
        tokens.append(token)
    return tokens


# A frozen dataclass's __init__ sets each field through object.__setattr__, which costs more than
# the regex match itself on newswire; filling the slots through their descriptors makes the same
# Token (equal, hashable, frozen) in about half the time.
_new_token = object.__new__
_set_text, _set_start, _set_end = Token.text.__set__, Token.start.__set__, Token.end.__set__  # type: ignore[attr-defined]


# Two line breaks with only blanks between them ("\r\n\r\n" too), or a paragraph separator. A run
# of blank lines is one match: every blank line in it cuts before the same token.
_BLANK_LINE = re.compile(r"\n[^\S\n]*+\n(?:[^\S\n]*+\n)*+|\u2029")

_TERMINALS = frozenset(".!?…")
_BRACKETS = frozenset(")]}")
_CLOSERS = _BRACKETS | frozenset("”’»")
_AMBIGUOUS_QUOTES = frozenset("\"'")  # closing when glued to the token before or last
_OPENERS = frozenset("\"'“‘«")

# After an abbreviation a capitalised word is usually a name ("U.S. Open", "Mr. Smith", "St.
# Louis"); only these words, which start sentences but almost never continue a name, end one.
_SENTENCE_STARTER = re.compile(
    "The|A|An|He|She|It|They|We|I|You|This|That|These|Those|There|Its|His|Her|Their|Our|"
    "But|And|In|On|At|For|If|When|While|After|Before|As|So|However|Meanwhile|Some|Many|Most"
)


def split_sentences(tokens: list[Token], text: str) -> list[list[Token]]:
    """Group the tokens of `text` (as from `tokenize(text)`) into sentences.

    A sentence ends after ".", "!", "?" or an ellipsis, and any closing quotes or brackets,
    when the next token starts with a capital letter, a digit or an opening quote. After an
    abbreviation it ends only before a `_SENTENCE_STARTER` ("The", "He", ...), at a blank line
    or at the end of the text, and then the abbreviation's period becomes a token of its own
    ("U.S" "."), as in CoNLL. A blank line always ends a sentence; a list number ("1.") starts
    one.
    """
    n = len(tokens)
    cuts = set()
    if "\n" in text or "\u2029" in text:  # a blank line needs one (most lines have none)
        starts = [token.start for token in tokens]
        cuts = {bisect_left(starts, m.end()) for m in _BLANK_LINE.finditer(text)}
    splits: dict[int, list[Token]] = {}  # abbreviation index -> its two pieces
    for i, token in enumerate(tokens):
        word = token.text
        if word[-1] not in _TERMINALS:
            continue
        if word in _TERMINALS or word[-2] == ".":  # a terminal, or a run of dots
            j = _skip_closers(tokens, i)
            if j == n or _opens_sentence(tokens[j]):
                cuts.add(j)
        elif word[-1] != ".":
            continue  # ends in "!", "?" or "…" but is no terminal: no period to split off
        elif word[0].isdigit():  # a list number
            cuts.add(i)
        elif i + 1 < n and tokens[i + 1].text in _BRACKETS:
            continue  # "(U.S.)": the period is the abbreviation's; the sentence goes on after
        else:  # an abbreviation
            j = _skip_closers(tokens, i)
            at_break = j == n or _BLANK_LINE.search(text, token.end, tokens[j].start) is not None
            if at_break or _SENTENCE_STARTER.fullmatch(tokens[j].text):
                cuts.add(j)
                splits[i] = _split_period(token)
    return _cut(tokens, cuts, splits)


def sentences(text: str) -> list[list[Token]]:
    """Tokenize `text` and split it into sentences; [] for empty or blank text."""
    return split_sentences(tokenize(text), text)


def _skip_closers(tokens: list[Token], i: int) -> int:
    """Index of the first token after `tokens[i]` that is not a closing quote or bracket."""
    n = len(tokens)
    j = i + 1
    while j < n:
        word = tokens[j].text
        closing = tokens[j].start == tokens[j - 1].end or j == n - 1
        if not (word in _CLOSERS or (closing and word in _AMBIGUOUS_QUOTES)):
            break
        j += 1
    return j


def _opens_sentence(token: Token) -> bool:
    """Whether `token` can begin a sentence: a capital letter, a digit or an opening quote."""
    first = token.text[0]
    return first.isupper() or first.isdigit() or token.text in _OPENERS


def _split_period(token: Token) -> list[Token]:
    """Split an abbreviation ending a sentence into its letters and the period: "U.S" "."."""
    stem = Token(token.text[:-1], token.start, token.end - 1)
    return [stem, Token(".", token.end - 1, token.end)]


def _cut(tokens: list[Token], cuts: set[int], splits: dict[int, list[Token]]) -> list[list[Token]]:
    """Slice `tokens` at the indices in `cuts`, replacing each split abbreviation by its pieces.

    A split abbreviation is always followed by a cut, so a sentence holds at most one.
    """
    if not splits and cuts <= {0, len(tokens)}:  # one sentence, or none: the common case
        return [tokens[:]] if tokens else []
    bounds = sorted(cuts | {0, len(tokens)})
    pending = sorted(splits, reverse=True)
    result = []
    for a, b in pairwise(bounds):
        sentence = tokens[a:b]
        if pending and pending[-1] < b:
            i = pending.pop()
            sentence[i - a : i - a + 1] = splits[i]
        result.append(sentence)
    return result
