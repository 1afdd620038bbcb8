"""Each kind of mistake in a question file gets a precise message: file:line: id: field: message."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest

from question_bank.loader import DATA_DIR, InvalidBank, canonical_topics, load_bank, parse_text

GOOD = textwrap.dedent(
    """\
    schema_version: 1
    questions:
      - id: db-sample
        category: databases
        title: A sample question
        prompt: >
          A reading-list service stores 40 million loans and the overdue report takes a minute.
          What would you look at first, and why?
        level: mid
        difficulty: medium
        time_box_minutes: 10
        topics: [indexing]
        key_points:
          - Point one
          - Point two
          - Point three
        outline:
          - Step one
          - Step two
          - Step three
        follow_ups:
          - question: Why?
            probes: reasoning
          - question: And then?
            probes: depth
        pitfalls:
          - A pitfall
        hints:
          - A hint
    """
)


def write(tmp_path: Path, text: str, name: str = "sample.yaml", folder: str = "databases") -> Path:
    path = tmp_path / "data" / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def errors_for(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(InvalidBank) as exc:
        load_bank([path])
    return [str(e).replace(str(path), "F") for e in exc.value.errors]


def test_a_good_file_loads(tmp_path):
    bank = load_bank([write(tmp_path, GOOD)])
    assert [q.id for q in bank.questions] == ["db-sample"]


def test_too_few_key_points_names_file_line_id_and_field(tmp_path):
    text = GOOD.replace("      - Point two\n      - Point three\n", "")
    assert errors_for(tmp_path, text) == ["F:13: db-sample: key_points: at least 3 required, got 1"]


def test_key_point_too_long(tmp_path):
    text = GOOD.replace("- Point two", "- " + "x" * 80)
    assert errors_for(tmp_path, text) == ["F:15: db-sample: key_points[1]: at most 75 characters, got 80"]


def test_unknown_field_and_missing_field_are_both_reported(tmp_path):
    text = GOOD.replace("    difficulty: medium\n", "    dificulty: medium\n")
    assert errors_for(tmp_path, text) == [
        "F:3: db-sample: difficulty: required",
        "F:10: db-sample: dificulty: unknown field",
    ]


def test_bad_enum_value(tmp_path):
    text = GOOD.replace("level: mid", "level: intern")
    assert errors_for(tmp_path, text) == ["F:9: db-sample: level: must be one of 'junior', 'mid', 'senior' or 'staff'"]


def test_unknown_topic(tmp_path):
    text = GOOD.replace("topics: [indexing]", "topics: [indexing, gardening]")
    assert errors_for(tmp_path, text) == [
        "F:12: db-sample: topics: unknown topic gardening (add it to question_bank/topics.yaml)"
    ]


def test_unquoted_colon_in_a_list_item(tmp_path):
    text = GOOD.replace("- Step two", "- Step two: with a colon")
    assert errors_for(tmp_path, text) == [
        "F:19: db-sample: outline[1]: must be text (quote it if it contains ': ' or starts with a YAML symbol)"
    ]


def test_behavioral_needs_star_not_outline(tmp_path):
    text = GOOD.replace("category: databases", "category: behavioral").replace("topics: [indexing]", "topics: [conflict]")
    path = write(tmp_path, text, folder="behavioral")
    with pytest.raises(InvalidBank) as exc:
        load_bank([path])
    assert [e.message for e in exc.value.errors] == ["behavioral questions need star, listen_for, red_flags"]


def test_broken_yaml_reports_the_line(tmp_path):
    text = GOOD.replace("    title: A sample question", "    title: [unclosed")
    errors = errors_for(tmp_path, text)
    assert len(errors) == 1 and errors[0].startswith("F:") and "not valid YAML" in errors[0]


def test_a_key_written_twice_is_an_error(tmp_path):
    text = GOOD.replace("    level: mid\n", "    level: mid\n    level: senior\n")
    errors = errors_for(tmp_path, text)
    assert errors == ["F:10: not valid YAML: duplicate key 'level'"]


def test_wrong_schema_version(tmp_path):
    assert errors_for(tmp_path, GOOD.replace("schema_version: 1", "schema_version: 7")) == [
        "F:1: schema_version: must be one of 1"
    ]


def test_duplicate_ids_across_files(tmp_path):
    a = write(tmp_path, GOOD, "a.yaml")
    b = write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(InvalidBank) as exc:
        load_bank([a, b])
    (err,) = exc.value.errors
    assert err.source.endswith("b.yaml") and err.line == 3 and err.field == "id"
    assert "duplicate id" in err.message and "a.yaml:3" in err.message


def test_question_filed_under_the_wrong_category_folder(tmp_path):
    path = write(tmp_path, GOOD, folder="backend")
    with pytest.raises(InvalidBank) as exc:
        load_bank([path])
    assert [str(e.message) for e in exc.value.errors] == ["filed under data/backend/ but category is databases"]


def test_every_problem_is_reported_at_once(tmp_path):
    a = write(tmp_path, GOOD.replace("level: mid", "level: x"), "a.yaml")
    b = write(tmp_path, GOOD.replace("db-sample", "db-other").replace("hints:\n      - A hint\n", ""), "b.yaml")
    with pytest.raises(InvalidBank) as exc:
        load_bank([a, b])
    assert sorted((e.source.rsplit("/", 1)[-1], e.field) for e in exc.value.errors) == [("a.yaml", "level"), ("b.yaml", "hints")]


def test_parse_text_keeps_the_good_questions_of_a_partly_bad_file():
    two = GOOD + GOOD.split("questions:\n", 1)[1].replace("db-sample", "db-second").replace("level: mid", "level: nope")
    questions, errors = parse_text(two, "upload.yaml")
    assert [q.id for q in questions] == ["db-sample"]
    assert [(e.question_id, e.field) for e in errors] == [("db-second", "level")]


def test_the_shipped_bank_loads_every_file():
    bank = load_bank()
    files = list(DATA_DIR.rglob("*.yaml"))
    assert len(files) >= 30
    counts = Counter(q.category for q in bank.questions)
    assert len(bank) >= 400
    assert counts["system_design"] >= 120 and counts["databases"] >= 120
    assert counts["behavioral"] >= 90 and counts["backend"] >= 70
    for category in counts:  # levels spread from junior to staff in every category
        levels = Counter(q.level for q in bank.questions if q.category == category)
        assert min(levels[lv] for lv in ("junior", "mid", "senior", "staff")) >= counts[category] // 8


def test_the_shipped_bank_has_no_near_duplicate_titles():
    titles = Counter(q.title.casefold() for q in load_bank().questions)
    assert [t for t, n in titles.items() if n > 1] == []


def test_a_tag_that_names_a_topic_puts_the_question_under_that_topic():
    """Practising a topic must find every question tagged with it (be-api-cursor-pagination-contract
    was tagged cursor-pagination but not filed under pagination, so practising pagination missed it)."""
    topics = canonical_topics()
    untopiced = [
        f"{q.id}: {tag}"
        for q in load_bank().questions
        for tag in q.tags
        if tag in {**topics["shared"], **topics[q.category]} and tag not in q.topics
    ]
    assert untopiced == []
    assert "pagination" in load_bank().get("be-api-cursor-pagination-contract").topics
