"""The question record, as pydantic models.

One YAML file holds `schema_version` and a list of `questions`. Unknown fields are errors, so a typo
never silently drops content. Topics are checked against question_bank/topics.yaml, passed in as
validation context by the loader.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

SCHEMA_VERSION = 1

Category = Literal["system_design", "databases", "behavioral", "backend"]
Level = Literal["junior", "mid", "senior", "staff"]
Difficulty = Literal["easy", "medium", "hard"]

CATEGORIES: tuple[str, ...] = ("system_design", "databases", "behavioral", "backend")
LEVELS: tuple[str, ...] = ("junior", "mid", "senior", "staff")
CATEGORY_NAMES = {
    "system_design": "System design",
    "databases": "Databases",
    "behavioral": "Behavioral",
    "backend": "Backend fundamentals",
}

# A stable slug: it is stored in every card and button, so it never changes once shipped.
QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=60)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=40)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
KeyPointText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=75)]
Phrasing = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def is_strict(info: ValidationInfo) -> bool:
    """The shipped bank is validated strictly (every key point has a level, every follow-up names the
    key points it probes); tenants' imports and stored documents are not, so older files keep working."""
    return bool((info.context or {}).get("strict"))


class KeyPoint(_Record):
    """One atomic point a strong answer hits.

    Written in YAML either as plain text or as a mapping with the lowest level at which an interviewer
    expects it and, where the written-answer feedback needs them, other ways of saying it.
    """

    text: KeyPointText
    level: Level | None = None
    phrasings: Annotated[list[Phrasing], Field(max_length=8)] = []

    @model_validator(mode="before")
    @classmethod
    def _plain_text(cls, value: object) -> object:
        return {"text": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _level_required_when_strict(self, info: ValidationInfo) -> KeyPoint:
        if self.level is None and is_strict(info):
            raise ValueError("level is required: the lowest level (junior, mid, senior or staff) that should hit it")
        return self

    @model_serializer(mode="wrap")
    def _as_text_when_bare(self, handler: SerializerFunctionWrapHandler) -> object:
        # A key point with nothing but its text is written back as plain text, as authors write it.
        if self.level is None and not self.phrasings:
            return self.text
        return handler(self)

    def __str__(self) -> str:
        return self.text


class FollowUp(_Record):
    question: Text
    probes: Text  # what the follow-up is testing
    key_points: list[Annotated[int, Field(ge=0)]] = []  # 0-based indices of the key points it probes

    @field_validator("key_points")
    @classmethod
    def _each_point_once(cls, indices: list[int]) -> list[int]:
        repeated = sorted({i for i in indices if indices.count(i) > 1})
        if repeated:
            raise ValueError(f"key point {repeated[0]} is listed twice")
        return indices

    @model_validator(mode="after")
    def _probes_required_when_strict(self, info: ValidationInfo) -> FollowUp:
        if not self.key_points and is_strict(info):
            raise ValueError("key_points is required: the 0-based indices of the key points this follow-up probes")
        return self


class Star(_Record):
    """How a strong behavioral answer is built (replaces the outline for behavioral questions)."""

    situation: Text
    task: Text
    action: Text
    result: Text
    reflection: Text


class Question(_Record):
    id: QuestionId
    category: Category
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=100)]
    prompt: Annotated[str, StringConstraints(strip_whitespace=True, min_length=80)]
    level: Level
    difficulty: Difficulty
    time_box_minutes: Annotated[int, Field(ge=2, le=90)]
    topics: Annotated[list[Slug], Field(min_length=1, max_length=4)]
    tags: list[Slug] = []
    key_points: Annotated[list[KeyPoint], Field(min_length=3, max_length=8)]
    outline: Annotated[list[Text], Field(min_length=3, max_length=12)] | None = None
    star: Star | None = None
    listen_for: Annotated[list[Text], Field(min_length=2, max_length=8)] | None = None
    red_flags: Annotated[list[Text], Field(min_length=2, max_length=8)] | None = None
    follow_ups: Annotated[list[FollowUp], Field(min_length=2, max_length=4)]
    pitfalls: Annotated[list[Text], Field(min_length=1, max_length=8)]
    hints: Annotated[list[Text], Field(min_length=1, max_length=3)]

    @field_validator("topics")
    @classmethod
    def _known_topics(cls, topics: list[str], info: ValidationInfo) -> list[str]:
        canon = (info.context or {}).get("topics")
        category = info.data.get("category")
        if canon is None or category is None:
            return topics
        allowed = canon.get(category, {}).keys() | canon.get("shared", {}).keys()
        unknown = [t for t in topics if t not in allowed]
        if unknown:
            raise ValueError(f"unknown topic {', '.join(unknown)} (add it to question_bank/topics.yaml)")
        return topics

    @model_validator(mode="before")
    @classmethod
    def _lenient_levels(cls, data: object, info: ValidationInfo) -> object:
        """Outside the shipped bank a key point without a level takes the question's level."""
        if is_strict(info) or not isinstance(data, dict) or data.get("level") not in LEVELS:
            return data
        points = data.get("key_points")
        if not isinstance(points, list):
            return data
        level = data["level"]
        filled = [
            {"text": p, "level": level}
            if isinstance(p, str)
            else ({**p, "level": level} if isinstance(p, dict) and p.get("level") is None else p)
            for p in points
        ]
        return {**data, "key_points": filled}

    @model_validator(mode="after")
    def _follow_ups_probe_known_points(self, info: ValidationInfo) -> Question:
        seen: dict[frozenset[int], int] = {}
        for i, follow_up in enumerate(self.follow_ups):
            beyond = [k for k in follow_up.key_points if k >= len(self.key_points)]
            if beyond:
                raise ValueError(
                    f"follow_ups[{i}] probes key point {beyond[0]}, but there are only "
                    f"{len(self.key_points)} (indices start at 0)"
                )
            probed = frozenset(follow_up.key_points)
            if probed and probed in seen and is_strict(info):
                raise ValueError(
                    f"follow_ups[{seen[probed]}] and follow_ups[{i}] probe the same key points; "
                    "let each follow-up probe a different point"
                )
            seen.setdefault(probed, i)
        return self

    @property
    def key_point_texts(self) -> list[str]:
        return [kp.text for kp in self.key_points]

    @model_validator(mode="after")
    def _guidance_matches_category(self) -> Question:
        if self.category == "behavioral":
            missing = [f for f in ("star", "listen_for", "red_flags") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"behavioral questions need {', '.join(missing)}")
            if self.outline is not None:
                raise ValueError("behavioral questions use star, not outline")
        else:
            if self.outline is None:
                raise ValueError("outline is required")
            extra = [f for f in ("star", "listen_for", "red_flags") if getattr(self, f) is not None]
            if extra:
                raise ValueError(f"{', '.join(extra)} only belong to behavioral questions")
        return self


class BankFile(_Record):
    schema_version: Literal[1]
    questions: Annotated[list[Question], Field(min_length=1)]
