"""Each kind of mistake in a question file gets a precise message: file:line: id: field: message."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest
import yaml

from question_bank import loader
from question_bank.loader import DATA_DIR, MAX_DEPTH, MAX_NODES, InvalidBank, canonical_topics, load_bank, parse_text
from tests.hostile_yaml import DEEP_NESTING, RECURSIVE_ALIAS, alias_bomb, slow_but_valid_yaml

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
          - {text: Point one, level: junior}
          - {text: Point two, level: senior}
          - {text: Point three, level: staff}
        outline:
          - Step one
          - Step two
          - Step three
        follow_ups:
          - question: Why?
            probes: reasoning
            key_points: [0]
          - question: And then?
            probes: depth
            key_points: [1, 2]
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
    text = GOOD.replace("      - {text: Point two, level: senior}\n      - {text: Point three, level: staff}\n", "")
    assert errors_for(tmp_path, text) == ["F:13: db-sample: key_points: at least 3 required, got 1"]


def test_key_point_too_long(tmp_path):
    text = GOOD.replace("text: Point two", "text: " + "x" * 80)
    assert errors_for(tmp_path, text) == ["F:15: db-sample: key_points[1].text: at most 75 characters, got 80"]


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


BARE = (
    GOOD.replace("{text: Point one, level: junior}", "Point one")
    .replace("{text: Point two, level: senior}", "Point two")
    .replace("{text: Point three, level: staff}", "Point three")
    .replace("        key_points: [0]\n", "")
    .replace("        key_points: [1, 2]\n", "")
)


def test_a_key_point_carries_its_level_and_other_phrasings(tmp_path):
    text = GOOD.replace(
        "      - {text: Point two, level: senior}\n",
        "      - text: Point two\n        level: senior\n        phrasings: [second point, point number two]\n",
    )
    q = load_bank([write(tmp_path, text)]).questions[0]
    assert q.key_point_texts == ["Point one", "Point two", "Point three"]
    assert [kp.level for kp in q.key_points] == ["junior", "senior", "staff"]
    assert q.key_points[1].phrasings == ["second point", "point number two"]
    assert [f.key_points for f in q.follow_ups] == [[0], [1, 2]]
    dumped = q.model_dump(mode="json", exclude_none=True)
    assert dumped["key_points"][1] == {"text": "Point two", "level": "senior", "phrasings": ["second point", "point number two"]}


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (  # the shipped bank requires a level on every key point
            "{text: Point two, level: senior}",
            "Point two",
            "F:15: db-sample: key_points[1]: level is required: the lowest level (junior, mid, senior or staff) that should hit it",
        ),
        (  # ... and every follow-up to name the key points it probes
            "        key_points: [0]\n",
            "",
            "F:22: db-sample: follow_ups[0]: key_points is required: the 0-based indices of the key points this follow-up probes",
        ),
        (  # two follow-ups of a question may not probe the same points
            "key_points: [0]",
            "key_points: [2, 1]",
            "F:3: db-sample: follow_ups[0] and follow_ups[1] probe the same key points; let each follow-up probe a different point",
        ),
        (  # a follow-up lists each key point once
            "key_points: [1, 2]",
            "key_points: [1, 1]",
            "F:27: db-sample: follow_ups[1].key_points: key point 1 is listed twice",
        ),
    ],
)
def test_the_shipped_bank_is_validated_strictly(tmp_path, old, new, error):
    assert old in GOOD
    assert errors_for(tmp_path, GOOD.replace(old, new)) == [error]


def test_imports_stay_lenient_a_bare_key_point_takes_the_questions_level():
    questions, errors = parse_text(BARE, "upload.yaml")
    assert errors == []
    (q,) = questions
    assert [(kp.text, kp.level) for kp in q.key_points] == [("Point one", "mid"), ("Point two", "mid"), ("Point three", "mid")]
    assert [f.key_points for f in q.follow_ups] == [[], []]
    # A point that names its own level keeps it; the same file is rejected by the strict (shipped) load.
    mixed, _ = parse_text(BARE.replace("- Point two", "- {text: Point two, level: staff}"), "upload.yaml")
    assert [kp.level for kp in mixed[0].key_points] == ["mid", "staff", "mid"]
    assert parse_text(BARE, "upload.yaml", strict=True)[1] != []
    # An exported document (levels filled in) re-imports unchanged.
    again, errors = parse_text(yaml.safe_dump({"schema_version": 1, "questions": [q.model_dump(mode="json", exclude_none=True)]}), "x.yaml")
    assert errors == [] and again == [q]


def test_a_follow_up_cannot_probe_a_key_point_that_does_not_exist(tmp_path):
    text = GOOD.replace("key_points: [1, 2]", "key_points: [3]")
    assert errors_for(tmp_path, text) == [
        "F:3: db-sample: follow_ups[1] probes key point 3, but there are only 3 (indices start at 0)"
    ]


def test_a_key_point_level_must_be_a_known_level(tmp_path):
    text = GOOD.replace("{text: Point two, level: senior}", "{text: Point two, level: principal}")
    assert errors_for(tmp_path, text) == [
        "F:15: db-sample: key_points[1].level: must be one of 'junior', 'mid', 'senior' or 'staff'"
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (alias_bomb(), 2, "anchors and aliases (&name, *name) are not allowed"),
        (RECURSIVE_ALIAS, 2, "anchors and aliases (&name, *name) are not allowed"),
        (DEEP_NESTING, 2, f"nested more than {MAX_DEPTH} levels deep"),
        ("a: {b: {c: {d: &x 1}}}\n", 1, "anchors and aliases"),
    ],
)
def test_aliases_and_deep_nesting_are_refused_at_their_line_before_anything_expands(text, line, message):
    questions, errors = parse_text(text, "upload.yaml")
    assert questions == []
    [error] = errors
    assert str(error).startswith(f"upload.yaml:{line}: {message}")


def test_a_file_with_more_values_than_any_import_needs_is_refused(monkeypatch):
    monkeypatch.setattr(loader, "MAX_NODES", 1000)  # the same check as at 100,000, in a fraction of the time
    _, [error] = parse_text(slow_but_valid_yaml(1000), "upload.yaml")
    assert str(error) == "upload.yaml:2: more than 1,000 values"


def test_the_biggest_import_allowed_stays_well_under_the_value_limit():
    one = GOOD.split("questions:\n", 1)[1]
    many = "schema_version: 1\nquestions:\n" + "".join(one.replace("db-sample", f"db-{i}") for i in range(500))
    questions, errors = parse_text(many, "upload.yaml")
    assert errors == [] and len(questions) == 500
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
