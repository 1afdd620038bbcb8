"""Every string the learner reads about their written answer: the reason line, the covered and missed
key points with their quotes, the highlighted suggestion, the gentle note and the calibration line."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.core.actions import ActionKey
from bot.core.replies import RATING_LABELS, Action, Field, Reply
from bot.core.scheduling import Rating
from question_bank.schema import Question

if TYPE_CHECKING:
    from bot.core.feedback import Assessment
    from bot.core.feedback.llm import Explanation

CALIBRATION_FIELD = "Self-grades vs written answers"
CALIBRATION_DAYS = 30  # study days the calibration line looks back
KEY_POINTS_FIELD = "Key points"  # the reveal's plain checklist, replaced by the marked one
SUGGESTED_MARK = "★"
QUOTE_CHARS = 110
FLAG_REASONS = {
    "few_words": "A few words cannot show a key point; explain each one in a sentence or two.",
    "gibberish": "I could not read this as an answer; none of it matches the key points.",
    "question_repeated": "This repeats the question instead of answering it.",
    "key_points_repeated": "This repeats the key points' words without explaining them.",
    "keyword_list": "This is a list of keywords; say what each one does here and why.",
    "other_question": "This reads like an answer to a different question.",
}
STAR_NAMES = {
    "situation": "Situation",
    "task": "Task",
    "action": "Action",
    "result": "Result",
    "reflection": "Reflection",
}


def grade_label(grade: int) -> str:
    return RATING_LABELS[Rating(grade)][0]


def reason(covered: int, total: int, grade: int, flags: tuple[str, ...]) -> str:
    """One line: why this grade ("4 of 6 key points: Solid")."""
    why = f"{covered} of {total} key points: {grade_label(grade)}"
    return f"{FLAG_REASONS[flags[0]]} {why}" if flags else why


def _quote(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1].rstrip() + '…'}”"


def feedback_fields(q: Question, a: Assessment) -> tuple[Field, ...]:
    fields = [
        Field(f"✅ {q.key_points[i].text}", f"You wrote: {_quote(a.evidence[i])}", inline=False) for i in a.covered
    ]
    if a.missed:
        missed = "\n".join(f"☐ {q.key_points[i].text}" for i in a.missed)
        fields.append(Field(f"Not in your answer ({len(a.missed)})", missed, inline=False))
    if a.star:
        lines = [
            f"✅ **{STAR_NAMES[s.part]}**: {_quote(s.evidence, 80)}" if s.covered else f"☐ **{STAR_NAMES[s.part]}**"
            for s in a.star
        ]
        fields.append(Field("STAR parts in your answer", "\n".join(lines), inline=False))
    if q.listen_for and not a.flags:
        lines = [
            f"✅ {item}: {_quote(a.listen_for_evidence[i], 70)}" if i in a.listen_for_evidence else f"☐ {item}"
            for i, item in enumerate(q.listen_for)
        ]
        fields.append(Field("What interviewers listen for, in your answer", "\n".join(lines), inline=False))
    return tuple(fields)


def highlight(actions: tuple[Action, ...], grade: int) -> tuple[Action, ...]:
    """The grade buttons with the suggested one marked and the only one styled primary."""
    out = []
    for action in actions:
        try:
            key = ActionKey.parse(action.key)
        except Exception:  # noqa: BLE001 - not a key of ours: leave the button as it is
            out.append(action)
            continue
        if key.verb == "grade" and key.rating == grade:
            hint = f"{action.hint} (suggested from your answer)" if action.hint else "suggested from your answer"
            out.append(replace(action, label=f"{SUGGESTED_MARK} {action.label}", style="primary", hint=hint))
        elif key.verb == "grade" and action.style == "primary":
            out.append(replace(action, style="secondary"))
        else:
            out.append(action)
    return tuple(out)


def with_feedback(reveal: Reply, q: Question, a: Assessment, explanation: Explanation | None = None) -> Reply:
    """The reveal with the key points marked covered or missed, the evidence quoted, and the
    suggested grade named in the body and highlighted on its button (the choice stays the learner's)."""
    body = f"**Suggested grade: {grade_label(a.suggested_grade)}** ({a.reason}). The grade is yours to choose."
    fields = [f for f in reveal.fields if f.name != KEY_POINTS_FIELD]
    extra = []
    if explanation is not None:
        found = "".join(
            f"\n✅ {q.key_points[i].text}: {_quote(quote)}" for i, quote in sorted(explanation.also_covered.items())
        )
        model_text = f"{explanation.text}\n**It also found:**{found}" if found else explanation.text
        extra.append(Field("A second opinion (language model)", model_text, inline=False))
        if explanation.follow_up:
            extra.append(Field("Try this follow-up", explanation.follow_up, inline=False))
    return replace(
        reveal,
        body=body,
        fields=(*feedback_fields(q, a), *extra, *fields),
        actions=highlight(reveal.actions, a.suggested_grade),
    )


def generous_note(rating: int, suggested: int, covered: int, total: int) -> str | None:
    """A gentle word when the self-grade is well above what the answer showed; None otherwise."""
    if rating - suggested < 2:
        return None
    return (
        f"Your written answer showed {covered} of {total} key points, so “{grade_label(rating)}” may be generous. "
        "That is your call; if some points were in your head but not on the page, saying them out loud next "
        "time makes the review count for more."
    )


def with_note(reply: Reply, note: str | None) -> Reply:
    if note is None:
        return reply
    return replace(reply, fields=(*reply.fields, Field("A gentle note", note, inline=False)))


def calibration_line(total: int, matched: int, above: int, below: int, days: int) -> str:
    """How often self-grades agreed with the written-answer evidence (total > 0)."""
    return (
        f"{matched} of {total} self-grades matched your written answers' evidence in the last {days} days "
        f"({above} above it, {below} below)."
    )
