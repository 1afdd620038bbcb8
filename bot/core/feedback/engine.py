"""The offline matcher behind `bot.core.feedback`: words, not a model, so every verdict can be explained.

A key point is covered when one sentence of the answer (or two adjacent ones) holds most of the key
point's weighted content words, in the same polarity (a negated sentence never covers a positive
claim). Words are compared after abbreviation expansion (idx, PG, k8s...), synonym groups and
Snowball stemming; a typo is forgiven by rapidfuzz when the word is long enough to be unambiguous.
Words the question itself gives away (its prompt and title) weigh less, and words that many key
points of the bank share weigh less than rare ones. Before matching, answers that cannot be judged
(a few words, gibberish, the question or the key points pasted back, a bare list of keywords) are
recognised and cover nothing, with the reason; an answer that matched nothing and whose words belong
to another question is told so.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import snowballstemmer
import yaml
from rapidfuzz import fuzz, process

from question_bank.schema import Question

LEXICON_FILE = Path(__file__).with_name("lexicon.yaml")
PHRASINGS_FILE = Path(__file__).with_name("phrasings.yaml")

WORD = re.compile(r"[A-Za-z0-9]+(?:['’+][A-Za-z0-9]+)*")
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+|\s+[-–•*]\s+|^\s*[-–•*]\s+")
ITEM_SPLIT = re.compile(r"[,;\n/|•]+|\s[-–]\s")
ACRONYM_PLURAL = re.compile(r"^[A-Z][A-Z0-9]+s$")
CLAUSE_BREAK = re.compile(r"[,;:!?()\[\]–—]|\.\s|\s-\s|\n")  # "0.1" and "e.g" do not break a clause
CLAUSE_WORDS = frozenset({"but", "so", "because", "while", "whereas", "then", "though", "although", "yet"})
NEGATION_SCOPE = 3  # a negation reaches this many content words on, within its clause

# Tuned on the development part of the labelled set (bench/feedback_data); see BENCHMARKS.md.
COVER_SHARE = 0.35  # share of a key point's weighted words one passage must hold
BEHAVIORAL_COVER_SHARE = 0.3  # ... for a behavioral key point
SHORT_COVER_SHARE = 0.7  # ... of a key point with one or two content words
OPPOSED_WEIGHT = 0.5  # a key point's word said with the opposite polarity counts this much against it
PROMPT_WEIGHT = 0.5  # a word the prompt or title already uses counts this much
FUZZY_CUTOFF = 86  # rapidfuzz ratio for a typo to count as the word
FUZZY_MIN_LENGTH = 5  # shorter words must match exactly (index/indexes yes, cat/car no)
EVIDENCE_CHARS = 160
MIN_WORDS = 8  # fewer words than this cannot show a key point
GIBBERISH_SHARE = 0.5  # under this share of recognised words, the answer is noise
REPEAT_SHARE = 0.8  # this share of the answer's word pairs copied from the question or key points
KEYWORD_ITEM_WORDS = 2.6  # a bare keyword list: short items...
KEYWORD_STOPWORDS = 0.12  # ...and almost no function words
OTHER_QUESTION_MARGIN = 3.0  # another question's vocabulary fits this many times better


@dataclass(frozen=True)
class Token:
    raw: str
    start: int
    end: int
    term: str  # canonical stem ("" for a stopword)
    negation: bool  # the word itself negates ("not", "never", "without"...)
    negated: bool  # the word stands in a negation's scope (after it, in the same clause)


@dataclass(frozen=True)
class Match:
    share: float  # weighted share of the variant's words found
    start: int  # character span of the passage in the answer
    end: int
    first: int  # character span of the matched words within it
    last: int
    novel: bool  # at least one matched word is not one the question itself gives away


class Lexicon:
    """Abbreviations, synonym groups, stopwords and negations, as one word -> term mapping."""

    def __init__(self, data: dict) -> None:
        self._stem = snowballstemmer.stemmer("english").stemWord
        self.abbreviations: dict[str, list[str]] = {k.lower(): str(v).lower().split() for k, v in data["abbreviations"].items()}
        self.stopwords = frozenset(w.lower() for w in data["stopwords"])
        self.negations = frozenset(w.lower() for w in data["negations"])
        self.groups: dict[str, str] = {}
        for group in data["synonyms"]:
            name = self._stem(str(group[0]).lower())
            for word in group:
                self.groups[self._stem(str(word).lower())] = name
        self._cache: dict[str, tuple[str, ...]] = {}

    @classmethod
    def load(cls, path: Path = LEXICON_FILE) -> Lexicon:
        with path.open(encoding="utf-8") as fh:
            return cls(yaml.safe_load(fh))

    def terms(self, word: str) -> tuple[str, ...]:
        """The canonical terms a written word stands for ("" for a stopword)."""
        if ACRONYM_PLURAL.match(word):  # CRDTs, APIs, URLs: the acronym
            word = word[:-1]
        word = word.lower().replace("’", "'")
        found = self._cache.get(word)
        if found is None:
            parts = self.abbreviations.get(word) or [word]
            found = tuple(
                "" if p in self.stopwords or p in self.negations or (len(p) == 1 and p.isalpha()) else self._term(p)
                for p in parts
            )
            self._cache[word] = found
        return found

    def _term(self, word: str) -> str:
        stem = self._stem(word)
        return self.groups.get(stem, stem)

    def tokens(self, text: str) -> list[Token]:
        out: list[Token] = []
        scope = 0  # words left in the current negation's scope
        previous_end = 0
        for m in WORD.finditer(text):
            raw = m.group()
            lowered = raw.lower().replace("’", "'")
            if scope and (lowered in CLAUSE_WORDS or CLAUSE_BREAK.search(text, previous_end, m.start())):
                scope = 0
            previous_end = m.end()
            negation = lowered in self.negations
            terms = self.terms(raw)
            for term in terms:
                out.append(Token(raw, m.start(), m.end(), term, negation, scope > 0 and not negation))
            if negation:
                scope = NEGATION_SCOPE
            elif scope and any(terms):
                scope -= 1
        return out

    def content(self, text: str) -> list[str]:
        """The distinct content terms of a text, in order."""
        return list(dict.fromkeys(t.term for t in self.tokens(text) if t.term))

    def polar_content(self, text: str) -> list[tuple[str, bool]]:
        """The distinct content terms of a text with whether each is negated there, in order."""
        found: dict[str, bool] = {}
        for t in self.tokens(text):
            if t.term and t.term not in found:
                found[t.term] = t.negated
        return list(found.items())


@dataclass(frozen=True)
class Variant:
    """One way of stating a key point: its content terms with their weights."""

    terms: tuple[str, ...]
    weights: tuple[float, ...]
    negated: tuple[bool, ...]  # per term: stated in a negation's scope
    given: frozenset[str] = frozenset()  # terms the question's title or prompt already uses
    needed: float = 0.0  # the share of its weight one passage must hold to cover it

    @property
    def total(self) -> float:
        return sum(self.weights)


@dataclass(frozen=True)
class Prepared:
    """A question turned into what matching needs, computed once per question."""

    points: tuple[tuple[Variant, ...], ...]
    listen_for: tuple[tuple[Variant, ...], ...]
    vocabulary: frozenset[str]  # every term of the question (prompt, points, guidance)
    words: tuple[str, ...]  # raw words of the key points, for typo matching
    word_terms: dict[str, str]
    question_pairs: frozenset[tuple[str, str]]
    point_pairs: frozenset[tuple[str, str]]


def pairs(terms: Sequence[str]) -> set[tuple[str, str]]:
    return set(zip(terms, terms[1:]))


class Matcher:
    """Everything loaded once per process: the lexicon, word weights and other questions' words."""

    def __init__(self, lexicon: Lexicon, questions: Iterable[Question], phrasings: dict[str, dict[int, list[str]]]):
        self.lexicon = lexicon
        self.phrasings = phrasings
        self.questions = tuple(questions)
        point_docs = [set(lexicon.content(kp.text)) for q in self.questions for kp in q.key_points]
        df = Counter(t for doc in point_docs for t in doc)
        n = max(len(point_docs), 1)
        self._idf = {t: 1.0 + math.log(n / (1 + c)) for t, c in df.items()}
        self._default_idf = 1.0 + math.log(n)
        self._vocabularies = {q.id: frozenset(self._question_terms(q)) for q in self.questions}
        self.known = frozenset(df).union(*self._vocabularies.values())
        self._prepared: dict[tuple, Prepared] = {}

    def idf(self, term: str) -> float:
        return min(self._idf.get(term, self._default_idf), 6.0)

    def _question_terms(self, q: Question) -> list[str]:
        texts = [q.title, q.prompt, *q.key_point_texts, *(q.outline or []), *(q.listen_for or [])]
        texts += [p for kp in q.key_points for p in kp.phrasings]
        if q.star is not None:
            texts += [q.star.situation, q.star.task, q.star.action, q.star.result, q.star.reflection]
        return [t for text in texts for t in self.lexicon.content(text)]

    def prepare(self, q: Question) -> Prepared:
        key = (q.id, q.prompt, tuple(q.key_point_texts), tuple(tuple(kp.phrasings) for kp in q.key_points))
        found = self._prepared.get(key)
        if found is None:
            found = self._prepare(q)
            if len(self._prepared) > 4096:
                self._prepared.clear()
            self._prepared[key] = found
        return found

    def _prepare(self, q: Question) -> Prepared:
        lex = self.lexicon
        given = set(lex.content(f"{q.title} {q.prompt}"))
        extra = self.phrasings.get(q.id, {})
        # Behavioral key points name behaviours that stories tell in other words: a lower bar.
        share = BEHAVIORAL_COVER_SHARE if q.category == "behavioral" else COVER_SHARE

        def variants(texts: Iterable[str]) -> tuple[Variant, ...]:
            out = []
            for text in texts:
                polar = lex.polar_content(text)
                if not polar:
                    continue
                terms = tuple(t for t, _ in polar)
                weights = tuple(self.idf(t) * (PROMPT_WEIGHT if t in given else 1.0) for t in terms)
                needed = SHORT_COVER_SHARE if len(terms) <= 2 else share
                out.append(Variant(terms, weights, tuple(n for _, n in polar), frozenset(terms) & given, needed))
            return tuple(out)

        points = tuple(
            variants([kp.text, *kp.phrasings, *extra.get(i, [])]) for i, kp in enumerate(q.key_points)
        )
        listen = tuple(variants([item]) for item in (q.listen_for or []))
        word_terms: dict[str, str] = {}
        for kp in q.key_points:
            for tok in lex.tokens(" ".join([kp.text, *kp.phrasings])):
                if tok.term and len(tok.raw) >= FUZZY_MIN_LENGTH:
                    word_terms.setdefault(tok.raw.lower(), tok.term)
        question_terms = [t.term for t in lex.tokens(f"{q.title}. {q.prompt}") if t.term]
        point_terms = [t.term for kp in q.key_points for t in lex.tokens(kp.text) if t.term]
        return Prepared(
            points=points,
            listen_for=listen,
            vocabulary=frozenset(self._question_terms(q)),
            words=tuple(word_terms),
            word_terms=word_terms,
            question_pairs=frozenset(pairs(question_terms)),
            point_pairs=frozenset(pairs(point_terms)),
        )

    def other_question_fits_better(self, q: Question, answer_terms: set[str]) -> bool:
        """The answer's words belong to another question of the bank far more than to this one."""
        if len(answer_terms) < 6:
            return False
        own = len(answer_terms & self.prepare(q).vocabulary)
        best = max(
            (len(answer_terms & vocab) for qid, vocab in self._vocabularies.items() if qid != q.id), default=0
        )
        return best >= OTHER_QUESTION_MARGIN * max(own, 1) and own / len(answer_terms) < 0.25


class Answer:
    """An answer split into tokens and passages, with typos resolved against one question's words."""

    def __init__(self, text: str, lexicon: Lexicon, prepared: Prepared):
        self.text = text
        self.tokens = lexicon.tokens(text)
        self.prepared = prepared
        self.terms = [self._resolve(t) for t in self.tokens]
        self.sentences = self._sentences()
        self.passages = self.sentences + [(a[0], b[1]) for a, b in zip(self.sentences, self.sentences[1:])]

    def _resolve(self, token: Token) -> str:
        if not token.term or token.term in self.prepared.vocabulary or len(token.raw) < FUZZY_MIN_LENGTH:
            return token.term
        hit = process.extractOne(token.raw.lower(), self.prepared.words, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        return self.prepared.word_terms[hit[0]] if hit else token.term

    def _sentences(self) -> list[tuple[int, int]]:
        """Token index ranges of the sentences (or bullet items, or lines)."""
        bounds = [0] + [m.end() for m in SENTENCE_END.finditer(self.text)] + [len(self.text) + 1]
        sentences: list[tuple[int, int]] = []
        i = 0
        for lo, hi in zip(bounds, bounds[1:]):
            j = i
            while j < len(self.tokens) and self.tokens[j].start < hi:
                j += 1
            if j > i and self.tokens[i].start >= lo:
                sentences.append((i, j))
            i = j
        return sentences

    @cached_property
    def content_terms(self) -> set[str]:
        return {t for t in self.terms if t}

    def best(self, variant: Variant) -> Match | None:
        """The sentence holding most of the variant; two adjacent sentences only if no single one covers it."""
        single = self._best(variant, self.sentences)
        if covers(single, variant):
            return single
        double = self._best(variant, self.passages[len(self.sentences) :])
        return double if double is not None and (single is None or double.share > single.share) else single

    def _best(self, variant: Variant, passages: list[tuple[int, int]]) -> Match | None:
        """A term found with the key point's polarity counts for it; found only with the opposite one
        ("does not keep keys sorted" against "keeps keys sorted"), it counts against it."""
        best: Match | None = None
        wanted = {t: (w, n) for t, w, n in zip(variant.terms, variant.weights, variant.negated)}
        for lo, hi in passages:
            agree: dict[str, int] = {}
            oppose: set[str] = set()
            for k in range(lo, hi):
                term = self.terms[k]
                if term not in wanted or term in agree:
                    continue
                if self.tokens[k].negated == wanted[term][1]:
                    agree[term] = k
                else:
                    oppose.add(term)
            if not agree:
                continue
            share = (sum(wanted[t][0] for t in agree) - OPPOSED_WEIGHT * sum(wanted[t][0] for t in oppose - agree.keys())) / variant.total
            if best is None or share > best.share:
                first, last = min(agree.values()), max(agree.values())
                best = Match(
                    share, self.tokens[lo].start, self.tokens[hi - 1].end, self.tokens[first].start,
                    self.tokens[last].end, novel=bool(agree.keys() - variant.given),
                )  # fmt: skip
        return best

    def quote(self, match: Match) -> str:
        """The passage as written; a long one is cut around the matched words."""
        start, end = match.start, match.end
        if end - start > EVIDENCE_CHARS:
            middle = (match.first + match.last) // 2
            start = max(start, min(match.first, middle - EVIDENCE_CHARS // 2))
            end = min(end, start + EVIDENCE_CHARS)
            while start > match.start and not self.text[start - 1].isspace():
                start -= 1
            while end < match.end and not self.text[end].isspace():
                end += 1
        return self.text[start:end].strip()


def covers(match: Match | None, variant: Variant) -> bool:
    if match is None or not match.novel:  # the question's own words alone show nothing
        return False
    return match.share >= variant.needed


def keyword_list(text: str, tokens: Sequence[Token]) -> bool:
    """Short comma- or line-separated items with hardly a function word: keywords, not an answer."""
    items = [i for i in ITEM_SPLIT.split(text) if WORD.search(i)]
    if len(items) < 4 or not tokens:
        return False
    mean_words = sum(len(WORD.findall(i)) for i in items) / len(items)
    function_share = sum(1 for t in tokens if not t.term) / len(tokens)
    single_words = len(items) >= 6 and mean_words <= 1.6  # one word an item, whatever the words
    return single_words or (mean_words <= KEYWORD_ITEM_WORDS and function_share <= KEYWORD_STOPWORDS)


def copied_share(terms: Sequence[str], source: frozenset[tuple[str, str]]) -> float:
    found = list(zip(terms, terms[1:]))
    return sum(1 for p in found if p in source) / len(found) if found else 0.0


def load_phrasings(path: Path = PHRASINGS_FILE) -> dict[str, dict[int, list[str]]]:
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return {str(qid): {int(i): [str(p) for p in ps] for i, ps in points.items()} for qid, points in data.items()}
