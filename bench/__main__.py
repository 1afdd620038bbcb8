"""Benchmarks, printed as tables.

`./dev bench [practice] [--learners N] [--cards N] [--samples N]`: the practice path.
`./dev bench plan [--quick] [--rows 1,3,10,skips,goal]`: the study plan simulated against baselines (bench/plan.py).
`./dev bench pushes [--learners N] [--subscriptions N] [--samples N] [--rate R] [--workers N] [--postgres]`:
daily push delivery through the loopback Discord, and the planning query.
`./dev bench discord-load [--rates 100,200,300] [--seconds S]`: slash commands at fixed rates into one
Discord bot process on PostgreSQL.
`./dev bench feedback [--samples N]`: written-answer feedback quality, adversarial answers, latency, memory.
`./dev bench feedback-embedding`: whether a sentence-embedding model would help it (needs wordllama installed).
`./dev bench phrasings-audit`: the feedback engine's phrasings that also cover other questions' key points.
`./dev bench imports`: hostile and large question imports, checked in the bounded child process.
"""

from __future__ import annotations

import argparse
import asyncio

from bench import discord_load, feedback, feedback_embedding, imports, phrasings_audit, plan, practice_path, pushes


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument(
        "which", nargs="?", default="practice",
        choices=[
            "practice", "pushes", "discord-load", "feedback", "feedback-embedding", "phrasings-audit", "imports", "plan",
        ],
    )
    p.add_argument("--learners", type=int, default=10_000)
    p.add_argument("--cards", type=int, default=200)
    p.add_argument("--samples", type=int, default=2_000)
    p.add_argument("--subscriptions", type=int, default=100_000, help="pushes: subscriptions for the planning query")
    p.add_argument("--rate", type=float, default=47.0, help="pushes: DISCORD_PUSH_RATE, requests/s for all workers")
    p.add_argument("--workers", type=int, default=1, help="pushes: push workers sharing the rate")
    p.add_argument("--postgres", action="store_true", help="pushes: also on a throwaway PostgreSQL")
    p.add_argument("--rates", default="50,100,200,300,400", help="discord-load: commands per second, one step each")
    p.add_argument("--seconds", type=float, default=15.0, help="discord-load: how long each rate runs")
    p.add_argument("--quick", action="store_true", help="plan: 3 learners, 45 days (a smoke run, not the table)")
    p.add_argument("--sim-learners", type=int, default=4, help="plan: simulated learners per row")
    p.add_argument("--days", type=int, default=90, help="plan: days simulated")
    p.add_argument("--seed", type=int, default=15, help="plan: the simulated learners' seed")
    p.add_argument("--rows", default="", help="plan: only these scenarios (1,3,10,skips,goal), no threshold table")
    args = p.parse_args()
    if args.which == "discord-load":
        asyncio.run(discord_load.run([float(r) for r in args.rates.split(",")], args.seconds))
    elif args.which == "feedback":
        feedback.run(args.samples)
    elif args.which == "feedback-embedding":
        feedback_embedding.run()
    elif args.which == "phrasings-audit":
        phrasings_audit.run()
    elif args.which == "imports":
        asyncio.run(imports.run())
    elif args.which == "plan":
        learners, days = (3, 45) if args.quick else (args.sim_learners, args.days)
        rows = [r.strip() for r in args.rows.split(",") if r.strip()]
        if unknown := set(rows) - {sc.key for sc in plan.scenarios(days)}:
            p.error(f"--rows: no scenario {', '.join(sorted(unknown))} (1, 3, 10, skips, goal)")
        asyncio.run(plan.run(learners, days, args.seed, rows))
    elif args.which == "pushes":
        asyncio.run(pushes.run(args.learners, args.subscriptions, args.samples, args.rate, args.workers, args.postgres))
    else:
        asyncio.run(practice_path.run(args.learners, args.cards, args.samples))


if __name__ == "__main__":
    main()
