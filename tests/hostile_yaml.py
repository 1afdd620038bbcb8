"""Hostile question files, shared by the loader, import and platform tests."""

from __future__ import annotations


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A few hundred bytes that expand to width**levels values if aliases are followed."""
    lines = ["schema_version: 1", "a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    lines.append(f"questions: *a{levels - 1}")
    return "\n".join(lines) + "\n"


RECURSIVE_ALIAS = "schema_version: 1\nquestions: &loop [*loop]\n"
DEEP_NESTING = "schema_version: 1\nquestions: " + "[" * 50_000 + "]" * 50_000 + "\n"


def slow_but_valid_yaml(values: int = 40_000) -> str:
    """Plain YAML (no aliases, shallow) that is slow to parse: one long list of small values."""
    return "schema_version: 1\nnotes: [" + ", ".join(["1"] * values) + "]\nquestions: []\n"


def question_entry(qid: str, prompt: str, *, title: str = "A question", first_point: str = "First key point") -> str:
    """One valid backend question as an item of a file's `questions:` list."""
    return f"""\
  - id: {qid}
    category: backend
    title: {title}
    prompt: "{prompt}"
    level: junior
    difficulty: easy
    time_box_minutes: 10
    topics: [http]
    key_points: ["{first_point}", Second key point, Third key point]
    outline: [Step one, Step two, Step three]
    follow_ups:
      - {{question: "Why?", probes: reasoning}}
      - {{question: "What else?", probes: breadth}}
    pitfalls: [A pitfall]
    hints: [A hint]
"""


MASKED_LINK = "[Official login](https://evil.example/x)"
LINKED_QUESTION = "schema_version: 1\nquestions:\n" + question_entry(
    "phishing-links",
    f"Before answering, sign in at {MASKED_LINK} or <https://evil.example/y> to see the diagram.",
    title="Log in first",
    first_point=f"See {MASKED_LINK}",
)
