"""Would a small sentence-embedding model help the feedback engine? (issue 13's "if it measurably helps")

`python -m bench feedback-embedding` needs `pip install wordllama==0.4.0.post1` (MIT; its 16 MB
256-dimension weights and its tokenizer ship inside the wheel; nothing is downloaded: both files are
read from the installed package). The bot does not depend on it: this bench is how we decided not to.

For every labelled answer and key point it computes the best cosine similarity between the key point
(its text and phrasings) and any passage of the answer (a sentence or two adjacent ones, as the lexical
matcher sees them), then scores the rule "covered lexically, or similarity >= T and at least L of the
lexical bar reached" against the labelled set and the adversarial answers, for a grid of T and L.
The first row (no embedding) is the shipped engine.
"""

from __future__ import annotations

import random
import statistics
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.feedback import adversarial, load_labelled, prf
from question_bank.loader import load_bank

THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7)
LEXICAL_FLOORS = (0.0, 0.3, 0.5)


def load_model():
    try:
        import wordllama
        from safetensors import safe_open
        from tokenizers import Tokenizer
        from wordllama.inference import WordLlamaInference
    except ImportError:
        raise SystemExit("this bench needs: pip install wordllama==0.4.0.post1") from None
    root = Path(wordllama.__file__).parent
    with safe_open(str(root / "weights" / "l2_supercat_256.safetensors"), framework="np", device="cpu") as fh:
        weights = fh.get_tensor("embedding.weight")
    tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    return WordLlamaInference(weights, tokenizer, binary=False)


def features(engine, model, q, text) -> tuple[bool, list[tuple[bool, float, float]]]:
    """(flagged, per key point: covered lexically, best lexical share / bar, best similarity)."""
    from bot.core.feedback.engine import Answer, covers

    assessment = engine.assess(q, text)
    prepared = engine.matcher.prepare(q)
    answer = Answer(text, engine.matcher.lexicon, prepared)
    passages = [text[answer.tokens[lo].start : answer.tokens[hi - 1].end] for lo, hi in answer.passages]
    vectors = model.embed(passages, norm=True) if passages else None
    out = []
    for i, variants in enumerate(prepared.points):
        matches = [(answer.best(v), v) for v in variants]
        lexical = max((m.share / v.needed for m, v in matches if m is not None), default=0.0)
        texts = [q.key_points[i].text, *q.key_points[i].phrasings, *engine.matcher.phrasings.get(q.id, {}).get(i, [])]
        similarity = float((model.embed(texts, norm=True) @ vectors.T).max()) if vectors is not None else 0.0
        out.append((i in assessment.covered, lexical, similarity))
        assert (i in assessment.covered) == (not assessment.flags and any(covers(m, v) for m, v in matches))
    return bool(assessment.flags), out


def run() -> None:
    from bot.core.feedback import FeedbackEngine

    bank = load_bank()
    labelled = load_labelled(bank)
    engine = FeedbackEngine.load(bank.questions)
    model = load_model()
    rows = [(item, *features(engine, model, item.question, item.answer)) for item in labelled]
    adv = [
        (kind, [features(engine, model, q, text) for q, text in cases])
        for kind, cases in adversarial(labelled, random.Random(13)).items()
    ]

    def covered(flagged: bool, f: tuple[bool, float, float], t: float | None, floor: float) -> bool:
        return not flagged and (f[0] or (t is not None and f[2] >= t and f[1] >= floor))

    def scores(part: list, t: float | None, floor: float) -> tuple[float, float, float]:
        """Precision, recall and F1 as `bench feedback` computes them, of the rule at (t, floor)."""
        found = [
            (item, frozenset(i for i, f in enumerate(feats) if covered(flagged, f, t, floor)))
            for item, flagged, feats in part
        ]
        return prf(found)[:3]

    table = Table(title="Lexical engine plus wordllama similarity")
    columns = (
        "similarity >= T", "lexical floor", "dev F1", "held-out P", "held-out R", "held-out F1", "all F1",
        "worst adversarial",
    )  # fmt: skip
    for column in columns:
        table.add_column(column, justify="right")
    development = [r for r in rows if not r[0].held_out]
    held = [r for r in rows if r[0].held_out]
    for t, floor in [(None, 0.0)] + [(t, floor) for t in THRESHOLDS for floor in LEXICAL_FLOORS]:
        worst = max(
            statistics.mean(sum(covered(fl, f, t, floor) for f in feats) / len(feats) for fl, feats in cases)
            for _, cases in adv
        )
        held_p, held_r, held_f1 = scores(held, t, floor)
        table.add_row(
            "lexical only" if t is None else f"{t:.2f}", f"{floor:.1f}", f"{scores(development, t, floor)[2]:.3f}",
            f"{held_p:.3f}", f"{held_r:.3f}", f"{held_f1:.3f}", f"{scores(rows, t, floor)[2]:.3f}", f"{worst:.1%}",
        )  # fmt: skip
    Console().print(table)
