"""Load question files and report every problem at once.

Each problem names file, line, question id and field, e.g.
`question_bank/data/databases/indexes.yaml:42: db-covering-index: key_points: at least 3 required`.
YAML is composed into nodes first so every value keeps the line it came from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from question_bank.schema import BankFile, Question

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
TOPICS_FILE = PACKAGE_DIR / "topics.yaml"

Path_ = tuple[str | int, ...]
_SCALARS = yaml.constructor.SafeConstructor()
# A question file nests 4 levels deep (file, questions, question, follow-up); anything far deeper,
# or with more values than 500 questions need, is refused before it is built.
MAX_DEPTH = 16
MAX_NODES = 100_000  # 500 shipped-style questions hold about 35,000 (67 each); richer key points up to twice that


class Refused(yaml.MarkedYAMLError):
    """Valid YAML that question files may not use (aliases, deep nesting, too many values)."""


class GuardedLoader(yaml.SafeLoader):
    """SafeLoader that composes no anchors or aliases (so nothing expands: no "billion laughs", no
    recursive structures) and stops at MAX_DEPTH levels and MAX_NODES values. The scanner and
    parser underneath are not recursive, so a 50,000-deep file is refused here, not by a RecursionError."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            problem = "anchors and aliases (&name, *name) are not allowed: write each value out"
            raise Refused(problem=problem, problem_mark=event.start_mark)
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise Refused(problem=f"more than {MAX_NODES:,} values", problem_mark=event.start_mark)
        if self._depth >= MAX_DEPTH:
            raise Refused(problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1
# Bank files (shipped, BANK_DIR, `bank validate` paths) are the operator's own: libyaml (when PyYAML
# was built with it) composes the same nodes, with line marks, about nine times faster. What a server
# or workspace admin uploads goes through the guarded loader (in a bounded child process).
_TRUSTED = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class BankError:
    source: str
    line: int
    question_id: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        parts = [f"{self.source}:{self.line}"]
        if self.question_id:
            parts.append(self.question_id)
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


class InvalidBank(Exception):
    """The bank (or an import) has problems; `errors` lists every one of them."""

    def __init__(self, errors: list[BankError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class Bank:
    """The loaded questions, in file order, indexed by id."""

    questions: tuple[Question, ...]
    by_id: dict[str, Question] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {q.id: q for q in self.questions})

    def get(self, question_id: str) -> Question | None:
        return self.by_id.get(question_id)

    def __len__(self) -> int:
        return len(self.questions)

    def __contains__(self, question_id: object) -> bool:
        return question_id in self.by_id


@cache
def canonical_topics() -> dict[str, dict[str, str]]:
    with TOPICS_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def topic_name(slug: str) -> str:
    for names in canonical_topics().values():
        if slug in names:
            return names[slug]
    return slug.replace("-", " ")


def _to_python(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Any:
    """Node tree -> plain Python, recording the 1-based line of every value by its path."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in out:
                raise yaml.MarkedYAMLError(problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark)
            out[key] = _to_python(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1  # errors point at the key, not its value
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return _SCALARS.construct_object(node)


_FRIENDLY = {
    "missing": "required",
    "extra_forbidden": "unknown field",
}


def _message(err: dict[str, Any]) -> str:
    kind, ctx = err["type"], err.get("ctx", {})
    if kind in _FRIENDLY:
        return _FRIENDLY[kind]
    if kind == "too_short":
        return f"at least {ctx['min_length']} required, got {ctx.get('actual_length', 'fewer')}"
    if kind == "too_long":
        return f"at most {ctx['max_length']} allowed, got {ctx.get('actual_length', 'more')}"
    if kind == "string_too_long":
        return f"at most {ctx['max_length']} characters, got {len(str(err.get('input', '')))}"
    if kind == "string_too_short":
        return f"at least {ctx['min_length']} characters required"
    if kind == "string_pattern_mismatch":
        return "must be a lowercase slug like 'db-covering-index'"
    if kind == "string_type":
        return "must be text (quote it if it contains ': ' or starts with a YAML symbol)"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return err["msg"]


def _as_authored(raw: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """A key point written as plain text is validated as {text: ...}: name it as the author wrote it."""
    if not loc or loc[-1] != "text":
        return loc
    value = raw
    for part in loc[:-1]:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return loc
    return loc[:-1] if isinstance(value, str) else loc


def _describe(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_text(
    text: str, source: str, topics: dict[str, dict[str, str]] | None = None, *, strict: bool = False
) -> tuple[list[Question], list[BankError]]:
    """Parse one YAML document of questions; return the valid questions and every error found.

    `strict` is for the shipped bank: every key point needs a level and every follow-up the key points
    it probes. Tenants' imports are lenient (see schema.is_strict)."""
    topics = canonical_topics() if topics is None else topics
    context = {"topics": topics, "strict": strict}
    try:
        root = yaml.compose(text, Loader=_TRUSTED if strict else GuardedLoader)
        lines: dict[Path_, int] = {}
        data = _to_python(root, (), lines) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        message = problem if isinstance(exc, Refused) else f"not valid YAML: {problem}"
        return [], [BankError(source, line, None, None, message)]

    if not isinstance(data, dict):
        return [], [BankError(source, 1, None, None, "expected a mapping with schema_version and questions")]

    raw_questions = data.get("questions")
    errors: list[BankError] = []
    # Validate the envelope and each question separately, so one bad question never hides the others.
    envelope = {k: v for k, v in data.items() if k != "questions"}
    try:
        BankFile.model_validate({**envelope, "questions": []}, context=context)
    except ValidationError as exc:
        for err in exc.errors():
            if err["loc"] and err["loc"][0] == "questions":
                continue
            loc = err["loc"]
            errors.append(BankError(source, lines.get(tuple(loc[:1]), 1), None, _describe(loc), _message(err)))
    if not isinstance(raw_questions, list) or not raw_questions:
        errors.append(BankError(source, lines.get(("questions",), 1), None, "questions", "a non-empty list is required"))
        return [], errors

    questions: list[Question] = []
    for index, raw in enumerate(raw_questions):
        base: Path_ = ("questions", index)
        qid = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else f"questions[{index}]"
        try:
            questions.append(Question.model_validate(raw, context=context))
        except ValidationError as exc:
            for err in exc.errors():
                loc = _as_authored(raw, tuple(err["loc"]))
                line = next((lines[p] for n in range(len(loc), -1, -1) if (p := (*base, *loc[:n])) in lines), 1)
                errors.append(BankError(source, line, qid, _describe(loc) or None, _message(err)))
    return questions, errors


def iter_files(paths: Iterable[Path] | None = None) -> Iterator[Path]:
    for path in paths or [DATA_DIR]:
        path = Path(path)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        else:
            yield path


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def check_category_dir(path: Path, question: Question) -> str | None:
    """Shipped files live under data/<category>/; a question filed elsewhere is a mistake."""
    parent = path.parent.name
    if path.parent.parent.name == "data" and parent != question.category:
        return f"filed under data/{parent}/ but category is {question.category}"
    return None


def locate(source: str, text: str, questions: list[Question]) -> list[tuple[str, int, Question]]:
    """Each question with the line of its `id:`, for errors found after parsing."""
    lines_of = _id_lines(text)
    return [(source, lines_of[q.id].pop(0) if lines_of.get(q.id) else 1, q) for q in questions]


def find_duplicates(located: list[tuple[str, int, Question]]) -> list[BankError]:
    seen: dict[str, str] = {}
    errors = []
    counts = Counter(q.id for _, _, q in located)
    for source, line, q in located:
        if counts[q.id] > 1:
            if q.id in seen:
                errors.append(BankError(source, line, q.id, "id", f"duplicate id (first defined at {seen[q.id]})"))
            else:
                seen[q.id] = f"{source}:{line}"
    return errors


def load_bank(paths: Iterable[Path] | None = None) -> Bank:
    """Load and validate every question file strictly; raise InvalidBank listing all problems."""
    errors: list[BankError] = []
    located: list[tuple[str, int, Question]] = []
    files = list(iter_files(paths))
    if not files:
        raise InvalidBank([BankError(str(p), 1, None, None, "no question files found") for p in (paths or [DATA_DIR])])
    for path in files:
        source = _display(path)
        if not path.exists():
            errors.append(BankError(source, 1, None, None, "no such file or folder"))
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(BankError(source, 1, None, None, f"cannot read file: {exc}"))
            continue
        questions, file_errors = parse_text(text, source, strict=True)
        errors.extend(file_errors)
        found = locate(source, text, questions)
        for _, line, q in found:
            if problem := check_category_dir(path, q):
                errors.append(BankError(source, line, q.id, "category", problem))
        located.extend(found)
    errors.extend(find_duplicates(located))
    if errors:
        raise InvalidBank(errors)
    return Bank(tuple(q for _, _, q in located))


def _id_lines(text: str) -> dict[str, list[int]]:
    """Lines of each `id:` entry, in file order (an id written twice has two)."""
    out: dict[str, list[int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip().removeprefix("- ").strip()
        if stripped.startswith("id:"):
            out.setdefault(stripped[3:].strip().strip("'\""), []).append(number)
    return out
