"""windowner as a spaCy pipeline component: its entities, each with its score, in `doc.ents`.

    import spacy
    nlp = spacy.blank("en")
    nlp.add_pipe("windowner", config={"model": "runs/conll2003/model.npz"})
    doc = nlp("Angela Merkel met Emmanuel Macron in Paris on Tuesday.")
    [(e.text, e.label_, e._.windowner_score) for e in doc.ents]

spaCy finds the factory through the `spacy_factories` entry point (pyproject.toml), so nothing of
windowner's needs importing. spaCy imports this module whenever it builds a Language, so at its
top it imports only spaCy and windowner's light modules; the tagger (numpy, the model file)
loads with the model, when the first Doc comes.

**Tokens.** windowner tags `doc.text` with its own tokenizer and sentence splitter, exactly as
`ner-tag` tags one record (each Doc is one text, and a document of its own), and places each
entity's character offsets on the Doc's tokens with spaCy's `Doc.char_span`. Where both
tokenizers put a boundary the span is the entity exactly: for all but 13 of windowner's 46,456
tokens of CoNLL's test sentences (their tokens joined by spaces) under `spacy.blank("en")`, and
for all but 1 of the default model's 5,698 entities there (benchmarks/spacy_pipe.py). Where an
entity boundary falls inside a spaCy token (`Austria)118` is one spaCy token, three of
windowner's), `alignment_mode` decides:

- "expand" (the default): the span widens to every token it touches (`Austria)118`);
- "contract": it narrows to the tokens wholly inside the entity (none here: dropped);
- "strict": the entity is dropped.

A span that would overlap one placed before it (two entities inside one spaCy token, expanded)
is dropped: the first in text order stays. `span._.windowner_score` is windowner's score of the
entity (the mean probability of its tags, what `ner-tag` writes), kept when the span is widened
or narrowed; entities windowner did not place read None, except one already in the Doc that
windowner found too, on the same tokens with the same label.

**Entities already in the Doc** (from a `ner` or `entity_ruler` earlier in the pipeline) are
treated as spaCy's entity_ruler treats them: by default they stay and windowner's that overlap
one of them are dropped; with `overwrite_ents` windowner's stay and the earlier ones that overlap
them go. Entities of either side that overlap nothing are kept.

**Saving.** `nlp.to_disk(DIR)` copies the model file into DIR/NAME/model.npz (NAME is the
component's name, "windowner" unless given another), and `spacy.load(DIR)` reads it from there,
whatever the config's `model` path says.
"""

import shutil
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from windowner.atomic import atomic_write
from windowner.choices import ALIGNMENT_MODES, TAG_BATCH_SIZE, check_choice, quoted
from windowner.errors import UserError, reading
from windowner.tagging.html import FIXED_COLOURS
from windowner.tagging.options import TagOptions

FACTORY = "windowner"  # the name pyproject.toml's entry point gives spaCy
SCORE = "windowner_score"  # the Span extension holding an entity's score
MODEL_FILE = "model.npz"  # the model's name inside a pipeline saved with nlp.to_disk

# displaCy's colours for CoNLL's types, through the `spacy_displacy_colors` entry point: only
# for the two spaCy leaves grey (PER, MISC), in the colours of `ner-tag --format html`. The
# entry point reaches every pipeline in the environment, so spaCy's own LOC and ORG stay.
DISPLACY_COLOURS = {label: FIXED_COLOURS[label] for label in ("PER", "MISC")}

if not Span.has_extension(SCORE):
    Span.set_extension(SCORE, default=None)


@Language.factory(
    FACTORY,
    default_config={
        "alignment_mode": ALIGNMENT_MODES[0],
        "overwrite_ents": False,
        "segmentation": "sentences",
        "decode": None,
    },
    assigns=["doc.ents", "token.ent_type", "token.ent_iob", f"span._.{SCORE}"],
)
def make_windowner(
    nlp: Language,
    name: str,
    model: str,
    alignment_mode: str,
    overwrite_ents: bool,
    segmentation: str,
    decode: str | None,
) -> "WindownerComponent":
    """The component spaCy builds for `nlp.add_pipe("windowner", config={...})`."""
    return WindownerComponent(name, model, alignment_mode, overwrite_ents, segmentation, decode)


class WindownerComponent:
    """Sets `doc.ents` from the entities windowner's model finds in `doc.text`.

    `model` is a model file (`ner-train`'s model.npz), read when the first Doc comes;
    `alignment_mode` and `overwrite_ents` are described in the module docstring; `segmentation`
    and `decode` are windowner.load's (how the text becomes sentences; the model's decoder if
    None). Every value is checked here, when the pipeline is built.
    """

    def __init__(
        self,
        name: str = FACTORY,
        model: str | Path = "",
        alignment_mode: str = ALIGNMENT_MODES[0],
        overwrite_ents: bool = False,
        segmentation: str = "sentences",
        decode: str | None = None,
    ):
        if not isinstance(model, str | Path) or not str(model):
            raise UserError(f"{FACTORY}: 'model' must be a model file's path, got {quoted(model)}")
        try:
            self.alignment_mode = check_choice(alignment_mode, ALIGNMENT_MODES, "alignment_mode")
        except ValueError as error:
            raise UserError(f"{FACTORY}: {error}") from None
        if not isinstance(overwrite_ents, bool):
            raise UserError(
                f"{FACTORY}: overwrite_ents must be true or false, got {quoted(overwrite_ents)}"
            )
        self.name = name
        self.model_path = Path(model).absolute()  # the folder it was named from, not today's
        self.overwrite_ents = overwrite_ents
        self.options = TagOptions(segmentation, decode)  # checked now, not at the first Doc
        self._tagger = None

    # No `labels` property: spaCy reads every component's labels for nlp.meta while it loads a
    # saved pipeline, before from_disk has named the model file that would give them.
    def load(self):
        """The windowner.Tagger of the model (its .labels, the entity types it predicts): read
        from its file the first time, then kept."""
        if self._tagger is None:
            from windowner import api  # numpy and the model file: with the first Doc

            self._tagger = api.load(self.model_path, self.options.segmentation, self.options.decode)
        return self._tagger

    def __call__(self, doc: Doc) -> Doc:
        return self.set_annotations(doc, self.load()(doc.text).entities)

    def pipe(self, docs, batch_size: int = TAG_BATCH_SIZE):
        """Tag `batch_size` Docs together (their sentences share forward passes), in order."""
        for batch in minibatch(docs, size=batch_size):
            texts = [doc.text for doc in batch]
            tagged = self.load().pipe(texts, batch_size=len(batch))
            for doc, result in zip(batch, tagged, strict=True):
                yield self.set_annotations(doc, result.entities)

    def set_annotations(self, doc: Doc, entities) -> Doc:
        """Place windowner's `entities` (windowner.Entity, in text order) in `doc.ents`."""
        found, scores = placed(doc, entities, self.alignment_mode)
        doc.ents = joined(doc.ents, found, self.overwrite_ents)
        for span in doc.ents:
            score = scores.get((span.start, span.end, span.label_))
            if score is not None:  # one of windowner's: set only now, on the spans kept
                span._.set(SCORE, score)
        return doc

    def to_disk(self, path: str | Path, *, exclude=()) -> None:
        """Copy the model file into `path` (spaCy's DIR/NAME), whole or not at all."""
        self.load()  # a file that is not a windowner model is refused, not copied
        with (
            reading(self.model_path, "a model file"),
            open(self.model_path, "rb") as source,
            atomic_write(Path(path) / MODEL_FILE) as out,
        ):
            shutil.copyfileobj(source, out)

    def from_disk(self, path: str | Path, *, exclude=()) -> "WindownerComponent":
        """Take the model saved by to_disk in `path`; it is read when the first Doc comes."""
        model = Path(path) / MODEL_FILE
        if not model.is_file():
            raise UserError(f"no {FACTORY} model in this saved pipeline", model)
        self.model_path = model.absolute()
        self._tagger = None
        return self

    def __getstate__(self) -> dict:
        # pickled (spaCy's n_process under the spawn start method) without the loaded model:
        # each process reads the file itself
        return {**self.__dict__, "_tagger": None}

    def __repr__(self) -> str:
        return f"WindownerComponent(model={str(self.model_path)!r})"


def placed(doc: Doc, entities, mode: str) -> tuple[list[Span], dict[tuple, float]]:
    """windowner's entities as spans of `doc`'s tokens (see the module docstring), and each
    placed span's score by (start token, end token, label)."""
    spans: list[Span] = []
    scores: dict[tuple, float] = {}
    end = 0  # the token after the last span placed: entities come in text order
    for entity in entities:
        span = doc.char_span(entity.start, entity.end, label=entity.label, alignment_mode=mode)
        if span is None or len(span) == 0 or span.start < end:
            continue
        spans.append(span)
        scores[span.start, span.end, span.label_] = entity.score
        end = span.end
    return spans, scores


def joined(existing, found: list[Span], overwrite: bool) -> list[Span]:
    """The Doc's entities with windowner's: where two overlap, windowner's if `overwrite`, the
    existing one otherwise (entity_ruler's rule); everything that overlaps nothing stays."""
    first, second = (found, list(existing)) if overwrite else (list(existing), found)
    taken = {i for span in first for i in range(span.start, span.end)}
    kept = [span for span in second if taken.isdisjoint(range(span.start, span.end))]
    return sorted(first + kept, key=lambda span: span.start)
