"""Command line and composition root: `python -m bot practice|discord|slack|push|db|bank`.

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


def _settings(*, service: bool = False):
    """Settings, with logging set up from them (LOG_LEVEL applies to the long-running services; the
    terminal stays at WARNING). A bad setting: one line each, naming it, and exit 2."""
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
    return settings


def _print_bank_errors(exc: InvalidBank) -> None:
    for err in exc.errors:
        print(err, file=sys.stderr)
    print(f"{len(exc.errors)} problem(s) found", file=sys.stderr)


def cmd_bank_validate(args: argparse.Namespace) -> int:
    try:
        bank = load_bank([Path(p) for p in args.paths] or None)
    except InvalidBank as exc:
        _print_bank_errors(exc)
        return 1
    print(f"ok: {len(bank)} questions")
    return 0


def cmd_bank_stats(args: argparse.Namespace) -> int:
    try:
        bank = load_bank()
    except InvalidBank as exc:
        _print_bank_errors(exc)
        return 1
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Question bank: {len(bank)} questions")
    table.add_column("category")
    for level in LEVELS:
        table.add_column(level, justify="right")
    table.add_column("total", justify="right")
    for category in CATEGORIES:
        qs = [q for q in bank.questions if q.category == category]
        levels = Counter(q.level for q in qs)
        table.add_row(category, *(str(levels[lv]) for lv in LEVELS), str(len(qs)))
    topics = Table(title="Questions per topic")
    topics.add_column("topic")
    topics.add_column("questions", justify="right")
    for slug, count in sorted(Counter(t for q in bank.questions for t in q.topics).items(), key=lambda kv: (-kv[1], kv[0])):
        topics.add_row(f"{topic_name(slug)} ({slug})", str(count))
    console = Console()
    console.print(table)
    console.print(topics)
    return 0


async def _upgrade(url: str) -> None:
    from storage.db import create_engine
    from storage.health import open_database

    engine = create_engine(url)
    try:
        await open_database(engine, migrate=True)
    finally:
        await engine.dispose()


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = _settings()
    asyncio.run(_upgrade(settings.database_url))
    print("database is up to date")
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
    from storage.health import open_database

    settings = _settings()
    try:
        app = build(settings)
    except InvalidBank as exc:
        _print_bank_errors(exc)
        return 2
    timezone_name = args.timezone or _local_zone(settings.default_timezone)
    try:
        zone(timezone_name)
    except InvalidInput as exc:
        print(exc.message, file=sys.stderr)
        return 2
    who = LearnerRef("console", args.user, display_name=args.user)

    async def setup() -> None:
        await open_database(app.engine, migrate=True)  # the embedded default: the database sets itself up
        await app.practice.set_timezone(who, timezone_name)

    try:
        return ConsoleApp(app, who).run(setup)
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
    from bot.ops.http import serving

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
            await serve(app, token)

    try:
        _run_until_sigterm(app, work, serve_ops=args.discord_command != "sync")
    except discord.LoginFailure:
        print("Discord refused DISCORD_TOKEN: copy the bot token again from the Developer Portal.", file=sys.stderr)
        return 1
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    from bot.push.worker import default_worker_id, serve

    settings = _settings(service=True)
    try:
        return asyncio.run(serve(settings, worker_id=args.worker_id or default_worker_id(), once=args.once))
    except InvalidBank as exc:
        _print_bank_errors(exc)
        return 2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="Backend interview practice with spaced repetition.")
    sub = p.add_subparsers(dest="command", required=True)

    practice = sub.add_parser("practice", help="practise in the terminal (no tokens needed)")
    practice.add_argument("--user", default=getpass.getuser(), help="whose progress to use (default: you)")
    practice.add_argument("--timezone", help="IANA timezone for your study day (default: this machine's)")
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
