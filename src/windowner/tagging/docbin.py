"""`ner-tag --format spacy`: tagged texts written as one spaCy DocBin file (`.spacy`).

Each output record (a line, paragraph or document, as --unit says) becomes one Doc:

- its words are windowner's tokens, with spaCy's own whitespace tokens for the text between
  them that is not a single space (a line break, a second space), so that `doc.text` is the
  record's text and every character offset is the same as in the jsonl output;
- its sentences (`doc.sents`) are windowner's, and its `doc.ents` windowner's entities;
- each entity's score is in `doc.user_data` under the key spaCy gives the span extension
  `windowner_score` (("._.", "windowner_score", start_char, end_char)): with the extension
  registered (`Span.set_extension("windowner_score", default=None)`, which windowner's spaCy
  component also does) it reads as `ent._.windowner_score`.

The file is written with spaCy's own DocBin, so it is whatever `DocBin().from_disk` reads; a
DocBin is one compressed msgpack object, held whole until the end and then written atomically.
"""

from __future__ import annotations

from pathlib import Path

from windowner.atomic import atomic_write
from windowner.data.tags import spans
from windowner.errors import UserError
from windowner.tagging.results import TaggedText

SCORE_EXTENSION = "windowner_score"
# The attributes stored (ORTH and SPACY always are): a DocBin of these reads back with every
# annotation it holds, in a third of the space of spaCy's 13 default attributes.
ATTRS = ("ENT_IOB", "ENT_TYPE", "SENT_START")


class DocBinWriter:
    """Collects one Doc per tagged text (`add`), then writes them all (`write`)."""

    def __init__(self):
        try:
            import srsly
            from spacy.tokens import DocBin
            from spacy.vocab import Vocab
        except ImportError as error:
            raise UserError(
                f"--format spacy needs spaCy ({error}): pip install 'windowner[spacy]'"
            ) from None
        self.vocab = Vocab()
        self.docs = DocBin(attrs=ATTRS)
        # Each Doc's user data, packed as DocBin(store_user_data=True) packs it (srsly's
        # msgpack_dumps), but with one packer: msgpack_dumps makes a new one per Doc, whose
        # set-up (srsly looks its encoders up among the installed packages' entry points) took
        # two thirds of the time of writing CoNLL's 14,041 training sentences.
        self.packer = srsly.msgpack.Packer(use_bin_type=True)
        self.user_data: list[bytes] = []

    def add(self, tagged: TaggedText) -> None:
        """Add `tagged` as the next Doc."""
        from spacy.tokens import Doc

        words, spaces, sent_starts, index = doc_words(tagged)
        ents = ["O"] * len(words)
        for tokens, tags in zip(tagged.sentences, tagged.tags, strict=True):
            for span in spans(tags):
                # the words from its first token to its last, whitespace between them included
                first, last = index[tokens[span.start].start], index[tokens[span.end - 1].start]
                ents[first : last + 1] = [f"B-{span.label}"] + [f"I-{span.label}"] * (last - first)
        doc = Doc(self.vocab, words=words, spaces=spaces, sent_starts=sent_starts, ents=ents)
        self.docs.add(doc)
        # what `ent._.windowner_score = score` would store in doc.user_data
        scores = {("._.", SCORE_EXTENSION, e.start, e.end): e.score for e in tagged.entities}
        self.user_data.append(self.packer.pack(scores))

    def write(self, output: str | Path) -> None:
        """The Docs added so far, as one .spacy file at `output` (atomically)."""
        self.docs.store_user_data = True
        self.docs.user_data = self.user_data
        data = self.docs.to_bytes()
        with atomic_write(output, "wb") as f:
            f.write(data)


def doc_words(tagged: TaggedText) -> tuple[list[str], list[bool], list[bool], dict[int, int]]:
    """A Doc's words for the text, as spaCy's tokenizer would lay them out around windowner's
    tokens: a token followed by one space has `spaces` True; any other text between tokens (a
    line break, more spaces) is a word of its own, in the sentence before it (the first
    sentence, before the first token). -> words, spaces, sent_starts (True where a windowner
    sentence starts, else False) and {a token's start offset: its word's index}.

    Shapes: -> words (n,), spaces (n,), sent_starts (n,); "".join of each word and a space
    where `spaces` says is `tagged.text`.
    """
    text = tagged.text
    words: list[str] = []
    spaces: list[bool] = []
    sent_starts: list[bool] = []
    index: dict[int, int] = {}
    at = 0

    def gap(until: int) -> None:
        stretch = text[at:until]
        if stretch[:1] == " " and words:
            spaces[-1] = True
            stretch = stretch[1:]
        if stretch:
            words.append(stretch)
            spaces.append(False)
            sent_starts.append(False)

    for sentence in tagged.sentences:
        for i, token in enumerate(sentence):
            gap(token.start)
            index[token.start] = len(words)
            words.append(token.text)
            spaces.append(False)
            sent_starts.append(i == 0)
            at = token.end
    gap(len(text))
    if True in sent_starts and not sent_starts[0]:
        # whitespace before the first token: spaCy's first word starts the first sentence
        sent_starts[sent_starts.index(True)] = False
        sent_starts[0] = True
    return words, spaces, sent_starts, index
