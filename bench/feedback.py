"""Written-answer feedback: quality against the labelled set, the adversarial kinds, latency and memory.

`./dev bench feedback [--samples N]` prints:
- micro precision, recall and F1 of covered key points (development part, held-out part, all);
- mean share of key points covered per adversarial kind (built from the labelled questions);
- Spearman correlation of the suggested grade with the labelled share of key points;
- latency of one assessment of a 3,000-character answer (median, p99; cold = first time a question is
  seen, warm = after), and the process's resident memory before and after loading the engine.
"""

from __future__ import annotations

import gc
import random
import resource
import statistics
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

from question_bank.loader import load_bank
from question_bank.schema import Question

DATA_DIR = Path(__file__).with_name("feedback_data")
LATENCY_CHARS = 3000


@dataclass(frozen=True)
class Labelled:
    question: Question
    style: str
    answer: str
    covered: frozenset[int]

    @property
    def held_out(self) -> bool:
        return held_out(self.question.id)


def held_out(question_id: str) -> bool:
    return zlib.crc32(question_id.encode()) % 4 == 0


def load_labelled(bank) -> list[Labelled]:
    out = []
    for path in sorted(DATA_DIR.glob("labelled-*.yaml")):
        for row in yaml.safe_load(path.read_text(encoding="utf-8")):
            q = bank.get(row["question"])
            if q is None:
                raise SystemExit(f"{path.name}: unknown question {row['question']}")
            covered = frozenset(row["covered"])
            if any(not 0 <= i < len(q.key_points) for i in covered):
                raise SystemExit(f"{path.name}: {q.id}: a covered index is out of range")
            out.append(Labelled(q, row["style"], row["answer"], covered))
    return out


def rss_mb() -> float:
    """Resident memory now (Linux /proc), else the peak the OS reports."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(xs: list[float], ys: list[float]) -> float:
    return statistics.correlation(ranks(xs), ranks(ys))


def prf(rows: list[tuple[Labelled, frozenset[int]]]) -> tuple[float, float, float, int]:
    tp = fp = fn = judgments = 0
    for item, found in rows:
        tp += len(found & item.covered)
        fp += len(found - item.covered)
        fn += len(item.covered - found)
        judgments += len(item.question.key_points)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0), judgments


def adversarial(labelled: list[Labelled], rng: random.Random) -> dict[str, list[tuple[Question, str]]]:
    """Answers that must cover (next to) nothing, built from the labelled questions."""
    questions = list({item.question.id: item.question for item in labelled}.values())
    good = {}
    for item in labelled:
        if len(item.covered) >= len(item.question.key_points) // 2:
            good.setdefault(item.question.category, []).append(item)
    kinds: dict[str, list[tuple[Question, str]]] = {k: [] for k in (
        "a few words", "gibberish", "question pasted back", "key points pasted back", "bare keyword list",
        "another question's answer",
    )}  # fmt: skip
    for q in questions:
        words = [w.strip("(),.'\"").lower() for kp in q.key_point_texts for w in kp.split() if len(w) > 3]
        kinds["a few words"].append((q, " ".join(words[:4])))
        letters = "abcdefghijklmnopqrstuvwxyz"
        noise = " ".join("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(60))
        kinds["gibberish"].append((q, noise))
        kinds["question pasted back"].append((q, f"{q.title}. {q.prompt}"))
        kinds["key points pasted back"].append((q, "\n".join(q.key_point_texts)))
        kinds["bare keyword list"].append((q, ", ".join(dict.fromkeys(words))))
        others = [item for item in good.get(q.category, []) if item.question.id != q.id]
        kinds["another question's answer"].append((q, rng.choice(others).answer))
    return kinds


def long_answer(labelled: list[Labelled], rng: random.Random) -> str:
    text = ""
    while len(text) < LATENCY_CHARS:
        text += rng.choice(labelled).answer + "\n"
    return text[:LATENCY_CHARS]


def run(samples: int) -> None:
    from bot.core.feedback import FeedbackEngine

    console = Console()
    bank = load_bank()
    labelled = load_labelled(bank)
    rng = random.Random(13)
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    engine = FeedbackEngine.load(bank.questions)
    load_s = time.perf_counter() - started
    gc.collect()
    after = rss_mb()

    results = [(item, frozenset(engine.assess(item.question, item.answer).covered)) for item in labelled]
    quality = Table(title="Written-answer feedback: covered key points against the labelled set")
    for column in ("part", "answers", "questions", "judgments", "precision", "recall", "F1", "Spearman"):
        quality.add_column(column, justify="right" if column != "part" else "left")
    for name, keep in (("development", False), ("held-out", True), ("all", None)):
        rows = [(i, f) for i, f in results if keep is None or i.held_out == keep]
        p, r, f1, judgments = prf(rows)
        grades = [engine.assess(i.question, i.answer).suggested_grade for i, _ in rows]
        shares = [len(i.covered) / len(i.question.key_points) for i, _ in rows]
        quality.add_row(
            name, str(len(rows)), str(len({i.question.id for i, _ in rows})), str(judgments),
            f"{p:.3f}", f"{r:.3f}", f"{f1:.3f}", f"{spearman([float(g) for g in grades], shares):.3f}",
        )  # fmt: skip
    console.print(quality)

    styles = Table(title="Recall and precision per answer style (all parts)")
    for column in ("style", "answers", "precision", "recall", "F1"):
        styles.add_column(column, justify="right" if column != "style" else "left")
    for style in sorted({i.style for i in labelled}):
        p, r, f1, _ = prf([(i, f) for i, f in results if i.style == style])
        styles.add_row(style, str(sum(1 for i in labelled if i.style == style)), f"{p:.3f}", f"{r:.3f}", f"{f1:.3f}")
    console.print(styles)

    adv = Table(title="Adversarial answers: mean share of key points covered (target <= 10%)")
    for column in ("kind", "answers", "mean coverage", "max coverage", "behavioral mean", "flagged"):
        adv.add_column(column, justify="right" if column != "kind" else "left")
    for kind, cases in adversarial(labelled, rng).items():
        assessed = [engine.assess(q, text) for q, text in cases]
        shares = [a.share for a in assessed]
        behavioral = [a.share for (q, _), a in zip(cases, assessed) if q.category == "behavioral"]
        flagged = sum(1 for a in assessed if a.flags)
        adv.add_row(
            kind, str(len(cases)), f"{statistics.mean(shares):.1%}", f"{max(shares):.1%}",
            f"{statistics.mean(behavioral):.1%}", f"{flagged}/{len(cases)}",
        )  # fmt: skip
    console.print(adv)

    questions = list(bank.questions)
    cold, warm = [], []
    fresh = FeedbackEngine.load(bank.questions)
    for n in range(samples):
        q = questions[n % len(questions)]
        text = long_answer(labelled, rng)
        timer = cold if n < len(questions) else warm
        t0 = time.perf_counter()
        fresh.assess(q, text)
        timer.append(time.perf_counter() - t0)
    perf = Table(title=f"Latency of one assessment, {LATENCY_CHARS}-character answer, one thread")
    for column in ("case", "samples", "median ms", "p99 ms", "max ms"):
        perf.add_column(column, justify="right" if column != "case" else "left")
    for name, values in (("first time a question is seen", cold), ("question seen before", warm)):
        if values:
            values.sort()
            perf.add_row(
                name, str(len(values)), f"{statistics.median(values) * 1000:.1f}",
                f"{values[min(len(values) - 1, int(len(values) * 0.99))] * 1000:.1f}", f"{values[-1] * 1000:.1f}",
            )  # fmt: skip
    console.print(perf)
    memory = Table(title="Process memory (resident) around loading the engine")
    for column in ("before MB", "after MB", "added MB", "load s"):
        memory.add_column(column, justify="right")
    memory.add_row(f"{before:.1f}", f"{after:.1f}", f"{after - before:.1f}", f"{load_s:.2f}")
    console.print(memory)
