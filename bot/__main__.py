"""Command line and composition root: `python -m bot practice|discord|slack|push|db|bank|feedback`.

Nothing is built at import time; each command builds Settings, the engine and the bank itself.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import signal
import sys
from collections import Counter
from pathlib import Path

from pydantic import ValidationError

from question_bank.loader import InvalidBank, load_bank, topic_name
from question_bank.schema import CATEGORIES, LEVELS

log = logging.getLogger("bot")


def _settings(db: str | None = None, *, service: bool = False):
    """Settings from the environment, with logging set up from them (LOG_LEVEL applies to the
    long-running services; the terminal stays at WARNING). A bad setting: one line each, naming it,
    and exit 2. `db` (the terminal's --db) overrides DATABASE_URL. The default database's folder is
    made here, and a database left in the working directory by older versions is brought over
    (bot/locations.py)."""
    from bot import locations
    from bot.ops.logs import configure
    from bot.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]).upper()
            print(f"setting {name}: {err['msg']}", file=sys.stderr)
        raise SystemExit(2) from None
    configure(settings.log_level if service else "WARNING", settings.log_format, settings.secret_values())
    if db is not None:
        return settings.model_copy(update={"database_url": locations.database_url_for(db)})
    if "database_url" not in settings.model_fields_set:
        try:
            moved = locations.prepare_default_database(locations.default_database_path())
        except locations.LocationError as exc:
            print(f"{exc}. Choose another place with DATABASE_URL (or --db).", file=sys.stderr)
            raise SystemExit(1) from None
        if moved:
            print(moved, file=sys.stderr)
    return settings


def _print_bank_errors(exc: InvalidBank) -> None:
    for err in exc.errors:
        print(err, file=sys.stderr)
    print(f"{len(exc.errors)} {'problem' if len(exc.errors) == 1 else 'problems'} found", file=sys.stderr)


def _shipped_bank():
    """The shipped (or BANK_DIR-less default) bank, or None with its problems printed."""
    try:
        return load_bank()
    except InvalidBank as exc:
        _print_bank_errors(exc)
        return None


def cmd_bank_validate(args: argparse.Namespace) -> int:
    try:
        bank = load_bank([Path(p) for p in args.paths] or None)
    except InvalidBank as exc:
        _print_bank_errors(exc)
        return 1
    print(f"ok: {len(bank)} questions")
    return 0


def cmd_bank_stats(args: argparse.Namespace) -> int:
    if (bank := _shipped_bank()) is None:
        return 1
    from rich.console import Console
    from rich.table import Table

    from question_bank.coverage import CATEGORY_TARGETS, LEVEL_TARGET, TOTAL_TARGET

    table = Table(title=f"Question bank: {len(bank)} questions (target {TOTAL_TARGET})")
    table.add_column("category")
    for level in LEVELS:
        table.add_column(level, justify="right")
    table.add_column("total", justify="right")
    table.add_column("target", justify="right")
    for category in CATEGORIES:
        qs = [q for q in bank.questions if q.category == category]
        levels = Counter(q.level for q in qs)
        table.add_row(category, *(str(levels[lv]) for lv in LEVELS), str(len(qs)), str(CATEGORY_TARGETS[category]))
    table.caption = f"every level in every category needs at least {LEVEL_TARGET}"
    topics = Table(title="Questions per topic")
    topics.add_column("topic")
    topics.add_column("questions", justify="right")
    for slug, count in sorted(Counter(t for q in bank.questions for t in q.topics).items(), key=lambda kv: (-kv[1], kv[0])):
        topics.add_row(f"{topic_name(slug)} ({slug})", str(count))
    console = Console()
    console.print(table)
    console.print(topics)
    return 0


def cmd_bank_coverage(args: argparse.Namespace) -> int:
    """Which coverage-map entries have a question at a fitting level, and which count targets are missed."""
    from question_bank.coverage import InvalidCoverageMap, check, load_map

    if (bank := _shipped_bank()) is None:
        return 1
    try:
        coverage = load_map()
    except InvalidCoverageMap as exc:
        print(exc, file=sys.stderr)
        return 1
    report = check(bank, coverage)
    for category in CATEGORIES:
        entries = [e for e in report.entries if e.category == category]
        covered = [e for e in entries if e.covered]
        print(f"{category}: {len(covered)} of {len(entries)} map entries covered")
        for e in entries:
            mark = "ok " if e.covered else "-- "
            found = f"{len(e.question_ids)} question(s)" if e.covered else "no question"
            if args.verbose or not e.covered:
                print(f"  {mark}{e.entry.id}: {e.entry.entry} [{', '.join(e.entry.topics)} at {'/'.join(e.entry.levels)}]: {found}")
    if report.shortfalls:
        print("count targets missed:")
        for line in report.shortfalls:
            print(f"  {line}")
    uncovered = len(report.uncovered)
    print(f"{len(report.entries) - uncovered} of {len(report.entries)} entries covered; {len(report.shortfalls)} count target(s) missed")
    return 0 if report.ok else 1


def cmd_bank_duplicates(args: argparse.Namespace) -> int:
    """Pairs of questions that say nearly the same thing; non-zero exit when an unreviewed pair remains."""
    from question_bank.duplicates import near_duplicates, reviewed_pairs, unreviewed

    if (bank := _shipped_bank()) is None:
        return 1
    pairs = near_duplicates(bank.questions, args.threshold)
    reviewed = reviewed_pairs()
    open_pairs = unreviewed(pairs, reviewed)
    for p in pairs:
        note = "" if p in open_pairs else "  (reviewed: different questions)"
        print(f"{p.score:3d}  {p.first}  {p.second}{note}")
    print(f"{len(pairs)} pair(s) at or above {args.threshold}; {len(open_pairs)} not reviewed")
    return 1 if open_pairs else 0


async def _upgrade(url: str) -> tuple[str | None, str | None]:
    from storage.db import create_engine
    from storage.health import open_database
    from storage.migrate import current_revision

    engine = create_engine(url)
    try:
        try:
            before = await current_revision(engine)
        except Exception:  # noqa: BLE001 - unreachable or unusable: open_database says so in one line
            before = None
        await open_database(engine, migrate=True)
        return before, await current_revision(engine)
    finally:
        await engine.dispose()


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from storage.db import printable_url
    from storage.models import Base

    settings = _settings()
    where = printable_url(settings.database_url)
    before, after = asyncio.run(_upgrade(settings.database_url))
    if before is None:
        tables = ", ".join(sorted(Base.metadata.tables))
        print(f"Created the database at {where} (revision {after}) with the tables {tables}.")
    elif before != after:
        print(f"Upgraded the database at {where} from revision {before} to {after}.")
    else:
        print(f"The database at {where} is up to date (revision {after}).")
    return 0


def _local_zone(default: str) -> str:
    try:
        import tzlocal

        return tzlocal.get_localzone_name() or default
    except Exception:  # noqa: BLE001 - any failure to detect means "use the default"
        return default


def cmd_practice(args: argparse.Namespace) -> int:
    from bot.adapters.console import ConsoleApp
    from bot.bootstrap import build
    from bot.core.errors import InvalidInput
    from bot.core.practice import LearnerRef, zone
    from storage.db import BAD_URL, UNUSABLE, create_engine, printable_url, problem
    from storage.health import open_database
    from storage.models import Learner

    longest = Learner.__table__.c.platform_user_id.type.length
    user = args.user.strip()
    if not user or len(user) > longest:
        print(f"--user needs a name of 1 to {longest} characters (got {len(user)}).", file=sys.stderr)
        return 2
    if args.timezone is not None:
        try:
            zone(args.timezone)
        except InvalidInput as exc:
            print(exc.message, file=sys.stderr)
            return 2
    settings = _settings(args.db)
    try:
        engine = create_engine(settings.database_url)
    except BAD_URL as exc:
        print(f"Cannot use that database URL: {exc}. Example: postgresql+asyncpg://user:pass@host/db", file=sys.stderr)
        return 2
    try:
        app = build(settings, engine=engine)
    except InvalidBank as exc:
        _print_bank_errors(exc)
        return 2
    who = LearnerRef("console", user, display_name=user)

    async def setup() -> None:
        await open_database(app.engine, migrate=True)  # the embedded default: the database sets itself up
        if args.timezone is not None:  # only an explicit choice replaces a zone the learner chose
            await app.practice.set_timezone(who, args.timezone)
        else:
            await app.practice.adopt_timezone(who, _local_zone(settings.default_timezone))

    where = printable_url(settings.database_url)
    try:
        return ConsoleApp(app, who, files_dir=Path(args.save_to), database=where).run(setup)
    except UNUSABLE as exc:  # unreachable, refused, unwritable: one line, no traceback
        print(f"Cannot use the database {where}: {problem(exc)}. Choose another with --db or DATABASE_URL.", file=sys.stderr)
        return 1
    finally:
        asyncio.run(app.engine.dispose())


def _build_app(settings):
    """The App for a long-running process, or None (problems printed) when the bank is broken."""
    from bot.bootstrap import build

    try:
        return build(settings)
    except InvalidBank as exc:
        _print_bank_errors(exc)
        return None


def _run_until_sigterm(app, work, *, serve_ops: bool = True) -> None:
    """Run `work()` until it ends or SIGTERM arrives (how platforms stop a process), then close the
    engine. While it runs, /healthz and /metrics answer on METRICS_PORT when that is set."""
    from bot.ops.http import OpsPortUnavailable, serving

    settings = app.settings
    port = settings.metrics_port if serve_ops else None

    async def run() -> None:
        main = asyncio.current_task()
        assert main is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main.cancel)
        try:
            async with serving(port, settings.metrics_host, app.health, app.metrics):
                await work()
        except asyncio.CancelledError:
            log.info("stopping")
        finally:
            await app.engine.dispose()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    except OpsPortUnavailable as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None


def cmd_slack(args: argparse.Namespace) -> int:
    from bot.adapters.slack.app import setup_problem
    from bot.adapters.slack.serve import serve
    from storage.health import open_database

    settings = _settings(service=True)
    problem = setup_problem(settings)
    if problem is not None:
        print(f"cannot start on Slack: {problem}. See README, 'Run on Slack'.", file=sys.stderr)
        return 2
    if (app := _build_app(settings)) is None:
        return 2

    async def work() -> None:
        await open_database(app.engine, migrate=True)  # a no-op after the release step; sets up the SQLite default
        await serve(app, settings)

    _run_until_sigterm(app, work)
    return 0


NO_DISCORD_TOKEN = (
    "DISCORD_TOKEN is not set. Create a bot in the Discord Developer Portal (README: Run on Discord) "
    "and put its token in the environment or .env."
)


SHARDING_REFUSED = {
    4010: "Discord refused the shard: DISCORD_SHARD_IDS must be below DISCORD_SHARD_COUNT, the same count in every process.",
    4011: "Discord requires sharding for a bot in this many servers: raise DISCORD_SHARD_COUNT "
    "(at most 2,500 servers a shard), or unset it to let Discord recommend the count.",
}


def cmd_discord(args: argparse.Namespace) -> int:
    """`discord`: hold the gateway; `discord sync [--guild ID]`: publish the slash commands and exit."""
    import discord

    from bot.adapters.discord.client import serve, sync
    from storage.health import open_database

    settings = _settings(service=True)
    if settings.discord_token is None:
        print(NO_DISCORD_TOKEN, file=sys.stderr)
        return 2
    if (app := _build_app(settings)) is None:
        return 2
    token = settings.discord_token.get_secret_value()

    async def work() -> None:
        if args.discord_command == "sync":
            names = await sync(app, token, args.guild)
            where = f"server {args.guild}" if args.guild else "every server (global)"
            print(f"synced {len(names)} commands to {where}: {', '.join(names)}")
        else:
            await open_database(app.engine, migrate=True)  # a no-op after the release step; sets up the SQLite default
            await serve(
                app, token, shard_count=settings.discord_shard_count, shard_ids=settings.discord_shard_ids
            )

    try:
        _run_until_sigterm(app, work, serve_ops=args.discord_command != "sync")
    except discord.LoginFailure:
        print("Discord refused DISCORD_TOKEN: copy the bot token again from the Developer Portal.", file=sys.stderr)
        return 1
    except discord.ConnectionClosed as exc:
        if exc.code in SHARDING_REFUSED:
            print(SHARDING_REFUSED[exc.code], file=sys.stderr)
            return 2
        raise
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    from bot.ops.http import OpsPortUnavailable
    from bot.push.worker import default_worker_id, serve

    settings = _settings(service=True)
    try:
        return asyncio.run(serve(settings, worker_id=args.worker_id or default_worker_id(), once=args.once))
    except InvalidBank as exc:
        _print_bank_errors(exc)
        return 2
    except OpsPortUnavailable as exc:
        print(exc, file=sys.stderr)
        return 2


def cmd_feedback(args: argparse.Namespace) -> int:
    """`feedback --jsonl [--tenant T]`: one JSON line in ({"question_id", "answer"}), one JSON line out."""
    from bot.adapters.feedback_cli import run_jsonl

    if not args.jsonl:
        print("only --jsonl is supported: JSON lines on standard input, one result line each", file=sys.stderr)
        return 2
    settings = _settings()
    try:
        return asyncio.run(run_jsonl(settings, args.tenant, sys.stdin, sys.stdout))
    except InvalidBank as exc:
        _print_bank_errors(exc)
        return 2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="Backend interview practice with spaced repetition.")
    sub = p.add_subparsers(dest="command", required=True)

    practice = sub.add_parser("practice", help="practise in the terminal (no tokens needed)")
    practice.add_argument("--user", default=getpass.getuser(), help="whose progress to use (default: you)")
    practice.add_argument(
        "--timezone", help="IANA timezone for your study day (default: the one you chose before, else this machine's)"
    )
    practice.add_argument("--db", help="database file or URL (default: DATABASE_URL, else your data folder)")
    practice.add_argument("--save-to", default=".", help="folder for the chart and data export (default: here)")
    practice.set_defaults(func=cmd_practice)

    discord_cmd = sub.add_parser("discord", help="run the Discord bot (needs DISCORD_TOKEN)")
    discord_sub = discord_cmd.add_subparsers(dest="discord_command")
    discord_sync = discord_sub.add_parser("sync", help="publish the slash commands to Discord, then exit")
    discord_sync.add_argument("--guild", type=int, help="only this server id: instant, for trying it out")
    discord_cmd.set_defaults(func=cmd_discord)

    slack = sub.add_parser("slack", help="serve Slack (HTTP on $PORT, or Socket Mode with SLACK_APP_TOKEN)")
    slack.set_defaults(func=cmd_slack)

    push = sub.add_parser("push", help="deliver daily questions (run one or more; PostgreSQL for several)")
    push.add_argument("--worker-id", help="name in the claims this worker makes (default: host:pid)")
    push.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    push.set_defaults(func=cmd_push)

    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)

    bank = sub.add_parser("bank", help="question bank tools").add_subparsers(dest="bank_command", required=True)
    validate = bank.add_parser("validate", help="check question files; non-zero exit on any problem")
    validate.add_argument("paths", nargs="*", help="files or folders (default: the shipped bank)")
    validate.set_defaults(func=cmd_bank_validate)
    bank.add_parser("stats", help="counts per category, level and topic").set_defaults(func=cmd_bank_stats)

    feedback = sub.add_parser("feedback", help="which key points written answers cover (JSON lines in and out)")
    feedback.add_argument("--jsonl", action="store_true", help='read {"question_id", "answer"} lines on stdin')
    feedback.add_argument("--tenant", help="also serve this server's or workspace's imported questions (discord:<id>)")
    feedback.set_defaults(func=cmd_feedback)
    coverage = bank.add_parser("coverage", help="coverage map entries and count targets; non-zero exit if any is missed")
    coverage.add_argument("-v", "--verbose", action="store_true", help="list covered entries too")
    coverage.set_defaults(func=cmd_bank_coverage)
    duplicates = bank.add_parser("duplicates", help="near-duplicate questions; non-zero exit on an unreviewed pair")
    duplicates.add_argument("--threshold", type=int, default=64, help="similarity 0-100 at which a pair is reported")
    duplicates.set_defaults(func=cmd_bank_duplicates)
    return p


def main(argv: list[str] | None = None) -> int:
    from storage.errors import DatabaseUnavailable

    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except DatabaseUnavailable as exc:  # at start-up: one line saying what to fix, no traceback
        print(f"cannot use DATABASE_URL: {exc.reason}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
