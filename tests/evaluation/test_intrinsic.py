"""Intrinsic evaluation: analogies and word similarity agree with gensim's own evaluators."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import run
from windowner.errors import UserError
from windowner.evaluation import word_lists
from windowner.evaluation.analogies import answer_analogies, evaluate_analogies, read_analogies
from windowner.evaluation.similarity import evaluate_pairs, spearman
from windowner.evaluation.space import Space, analogy, neighbors
from windowner.evaluation.word_lists import gensim_test_file
from windowner.vectors.loading import Vectors, load_vectors


@pytest.fixture(scope="module")
def glove():
    return load_vectors("glove-6b-50d")


@pytest.fixture(scope="module")
def top(glove):
    """The 30,000 most frequent GloVe words: big enough for real answers, quick for gensim."""
    return Vectors("top30k", glove.words[:30_000], glove.matrix[:30_000])


@pytest.fixture(scope="module")
def keyed(top):
    from gensim.models import KeyedVectors

    keyed = KeyedVectors(vector_size=top.dim)
    keyed.add_vectors(top.words, top.matrix)
    return keyed


@pytest.fixture(scope="module")
def questions(tmp_path_factory):
    """The first 12 questions of every section of questions-words.txt."""
    path = tmp_path_factory.mktemp("analogies") / "questions.txt"
    with open(path, "w", encoding="utf-8") as f:
        for name, section in read_analogies(gensim_test_file(word_lists.ANALOGIES)):
            f.write(f": {name}\n" + "".join(" ".join(q) + "\n" for q in section[:12]))
    return path


def test_analogies_agree_with_gensim_section_by_section(top, keyed, questions):
    ours = evaluate_analogies(Space.of(top), questions)
    accuracy, sections = keyed.evaluate_word_analogies(str(questions), restrict_vocab=30_000)
    theirs = {s["section"]: s for s in sections}
    assert len(ours.sections) == 14
    for section in ours.sections:
        expected = theirs[section.section]
        assert section.correct == len(expected["correct"])
        assert section.answered == len(expected["correct"]) + len(expected["incorrect"])
        assert section.questions == 12
    assert ours.total.accuracy == pytest.approx(accuracy)
    assert 0 < ours.total.oov_share < 0.2  # some rare words are beyond the top 30,000


def test_blocks_do_not_change_the_answers(top, questions):
    space = Space.of(top)
    sections = read_analogies(questions)
    rows = [[space.row(w) for w in q[:3]] for _, qs in sections for q in qs[:5]]
    abc = np.array([r for r in rows if None not in r])
    reference = answer_analogies(space, abc)
    for question_block, vocab_block in ((7, 1000), (64, 29_999), (1000, 30_000), (3, 128)):
        assert np.array_equal(answer_analogies(space, abc, question_block, vocab_block), reference)
    assert not (reference[:, None] == abc).any()  # the input words are never the answer


def test_other_spellings_of_the_inputs_are_excluded_too(keyed, top):
    # In cased vectors, 'Queen' must not answer man : woman :: queen : ? via its spelling
    words = ["man", "woman", "queen", "Queen", "king"]
    matrix = np.array(
        [[1, 0, 0], [1, 1, 0], [0.1, 1, 1], [0.1, 1, 1.01], [0.3, 0.2, 1]], np.float32
    )
    space = Space.of(Vectors("cased", words, matrix))
    assert space.row("QUEEN") == 2  # the first (most frequent) spelling stands for the word
    answer = answer_analogies(space, np.array([[0, 1, 2]]))
    assert space.words[answer[0]] == "king"
    assert analogy(space, "man", "woman", "queen", topn=1)[0][0] == "king"


def test_word_pairs_agree_with_gensim(top, keyed):
    space = Space.of(top)
    for name in (word_lists.WORDSIM353, word_lists.SIMLEX999):
        ours = evaluate_pairs(space, gensim_test_file(name), name)
        _, theirs, oov_percent = keyed.evaluate_word_pairs(str(gensim_test_file(name)))
        assert ours.spearman == pytest.approx(theirs.statistic, abs=1e-9)
        assert 100 * ours.oov_share == pytest.approx(oov_percent)


def test_word_pairs_on_all_of_glove(glove):
    space = Space.of(glove)
    wordsim = evaluate_pairs(space, gensim_test_file(word_lists.WORDSIM353), "WordSim353")
    simlex = evaluate_pairs(space, gensim_test_file(word_lists.SIMLEX999), "SimLex-999")
    assert (wordsim.pairs, wordsim.total, round(wordsim.spearman, 4)) == (353, 353, 0.5033)
    assert (simlex.pairs, simlex.total, round(simlex.spearman, 4)) == (999, 999, 0.2646)


def test_spearman_with_ties_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, 200).astype(float)  # many ties
    y = x + rng.normal(0, 2, 200)
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert np.isnan(spearman(np.ones(3), np.arange(3.0)))


def test_neighbors_and_analogy(glove):
    space = Space.of(glove)
    assert analogy(space, "man", "king", "woman", topn=1)[0][0] == "queen"
    found = neighbors(space, "Germany", topn=5)
    assert len(found) == 5 and "germany" not in [w for w, _ in found]
    assert "austria" in [w for w, _ in found] or "german" in [w for w, _ in found]
    with pytest.raises(UserError, match="not in the vectors glove-6b-50d: zzqqxx"):
        neighbors(space, "zzqqxx")


def test_bad_evaluation_files_are_user_errors(tmp_path, top):
    bad = tmp_path / "bad.txt"
    bad.write_text(": s\na b c\n")
    with pytest.raises(UserError, match=r"bad.txt:2: expected 'a b c d', got 3 words"):
        read_analogies(bad)
    bad.write_text("a\tb\n")
    with pytest.raises(UserError, match=r"bad.txt:1: expected 'word1 TAB word2 TAB rating'"):
        evaluate_pairs(Space.of(top), bad, "bad")


def write_glove(path, vectors):
    with open(path, "w", encoding="utf-8") as f:
        for word, row in zip(vectors.words, vectors.matrix):
            f.write(word + " " + " ".join(str(v) for v in row) + "\n")


def ner_vectors(*args):
    """Run `ner-vectors ARGS` in this process: exit code, stdout, stderr."""
    from typer.testing import CliRunner

    from windowner.cli.vectors import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_eval_json_and_text(tmp_path, top, questions):
    path = tmp_path / "top.txt"
    write_glove(path, Vectors("x", top.words[:5000], top.matrix[:5000]))
    code, out, err = ner_vectors("eval", "--vectors", path, "--analogies", questions, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["vectors"] == {"spec": str(path), "words": 5000, "dim": 50}
    assert report["wordsim353"]["total"] == 353 and 0 < report["wordsim353"]["oov_share"] < 1
    assert len(report["analogies"]["sections"]) == 14
    code, out, _ = ner_vectors(
        "eval", "--vectors", path, "--analogies", questions, "--max-vectors", 900
    )
    assert code == 0 and "900 words × 50" in out
    assert "WordSim353 Spearman ρ" in out and "capital-common-countries" in out
    code, out, _ = ner_vectors("neighbors", "king", "--vectors", path, "--top", "3", "--json")
    assert [n["word"] for n in json.loads(out)][:1] == ["prince"]


def test_cli_on_a_model_compares_pretrained_and_fine_tuned_vectors(trained, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text(": capitals\nathens greece berlin germany\nparis france rome italy\n")
    model = trained / "model.npz"
    code, out, err = ner_vectors(
        "eval", "--model", model, "--compare", "--json", "--analogies", questions
    )
    assert code == 0, err
    both = json.loads(out)
    assert both["pretrained"]["vectors"]["words"] == both["fine_tuned"]["vectors"]["words"]
    assert both["pretrained"]["vectors"]["spec"] == "glove-6b-50d"
    assert both["fine_tuned"]["vectors"]["spec"].endswith("(fine-tuned)")
    assert both["pretrained"]["analogies"]["total"]["answered"] == 2
    code, out, _ = ner_vectors("analogy", "man", "king", "woman", "--model", model, "--top", 1)
    assert code == 0 and out.split()[1] == "queen"


def test_cli_errors_are_one_line(tmp_path):
    for args in (
        ("eval", "--vectors", "glove-6b-50d", "--model", tmp_path / "m.npz"),
        ("eval", "--compare"),
        ("neighbors", "zzqqxx"),
        ("eval", "--vectors", tmp_path / "absent.txt"),
        ("eval", "--max-vectors", 0),
    ):
        code, _, err = ner_vectors(*args)
        assert code == 2, (args, err)
        assert err.startswith("error: ") and len(err.splitlines()) == 1


def test_the_command_is_installed():
    result = run("ner-vectors", "--help")
    assert result.returncode == 0 and "eval" in result.stdout and "analogy" in result.stdout
