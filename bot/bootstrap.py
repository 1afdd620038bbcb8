"""Wiring: Settings -> engine, bank, scheduler, clock -> use cases. Called by the CLI, never at import."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.accounts import Accounts
from bot.core.buttons import Buttons
from bot.core.catalog import Catalog
from bot.core.custom import CustomQuestionService
from bot.core.feedback import Feedback, FeedbackEngine
from bot.core.feedback.llm import Explainer
from bot.core.mock import Mocks
from bot.core.inbound import Inbound
from bot.core.plan.plan import StudyPlan
from bot.core.plan.rules import PlanConfig, Planner
from bot.core.practice import Practice, PracticeConfig
from bot.core.progress import Progress
from bot.core.scheduling import Scheduler
from bot.core.subscriptions import Subscriptions
from bot.ops.metrics import Metrics
from bot.settings import Settings
from question_bank.isolated import IsolatedParser
from question_bank.loader import Bank, load_bank
from storage import health
from storage.db import create_engine
from storage.repositories import Store


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    bank: Bank
    practice: Practice
    buttons: Buttons
    custom: CustomQuestionService
    subscriptions: Subscriptions
    inbound: Inbound
    progress: Progress
    accounts: Accounts
    feedback: Feedback | None  # None in a process that never reads written answers
    mocks: Mocks
    metrics: Metrics
    health: Callable[[], Awaitable[str | None]]  # None when the database serves, else why not
    plan: StudyPlan


def build_feedback(settings: Settings, bank: Bank) -> tuple[Feedback, Explainer | None]:
    """The written-answer engine, loaded once per process, scoring on one thread of its own; and the
    optional language model, when an operator configured one."""
    engine = FeedbackEngine.load(bank.questions)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feedback")
    feedback = Feedback(engine, executor=executor, timeout=settings.feedback_timeout)
    if not (settings.llm_base_url and settings.llm_model):
        return feedback, None
    from bot.adapters.llm_endpoint import OpenAICompatible  # only when configured

    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    model = OpenAICompatible(settings.llm_base_url, settings.llm_model, key, settings.llm_timeout)
    return feedback, Explainer(model, settings.llm_timeout)


def build(
    settings: Settings, *, bank: Bank | None = None, engine: AsyncEngine | None = None, clock=None, feedback: bool = True
) -> App:
    """Everything the adapters need. Raises InvalidBank (listing every problem) on a broken bank.
    `feedback=False`: a process that never reads written answers (the push worker) skips that engine."""
    if bank is None:
        bank = load_bank([settings.bank_dir] if settings.bank_dir else None)
    engine = engine if engine is not None else create_engine(settings.database_url)
    metrics = Metrics()
    reader, explainer = build_feedback(settings, bank) if feedback else (None, None)
    practice = Practice(
        store=Store(engine, on_error=metrics.database_error),
        catalog=Catalog(bank),
        scheduler=Scheduler(desired_retention=settings.desired_retention, fuzz=settings.fsrs_fuzz),
        clock=clock or SystemClock(),
        config=PracticeConfig(
            default_timezone=settings.default_timezone,
            rollover_hour=settings.day_rollover_hour,
            daily_new_cap=settings.daily_new_cap,
        ),
        feedback=reader,
        explainer=explainer,
        observer=metrics,
        planner=Planner(
            PlanConfig(
                new_per_day=settings.daily_new_cap, max_reviews_per_day=settings.daily_review_cap,
                min_new_per_week=settings.plan_min_new_per_week, desired_retention=settings.desired_retention,
                fuzz=settings.fsrs_fuzz,
            )
        ),  # fmt: skip
    )
    custom = CustomQuestionService(practice.store, practice.clock, IsolatedParser())
    accounts = Accounts(practice)
    mocks = Mocks(practice, reader)
    return App(
        settings=settings, engine=engine, bank=bank, practice=practice, buttons=Buttons(practice, accounts, mocks),
        custom=custom, subscriptions=Subscriptions(practice), inbound=Inbound(practice.store, practice.clock),
        progress=Progress(practice), accounts=accounts, feedback=reader, mocks=mocks, metrics=metrics,
        health=lambda: health.problem(engine, min_free_bytes=settings.health_min_free_mb * health.MIB),
        plan=StudyPlan(practice),
    )  # fmt: skip
