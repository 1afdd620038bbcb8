"""Benchmarks, printed as tables: `./dev bench [practice] [--learners N] [--cards N] [--samples N]`."""

from __future__ import annotations

import argparse
import asyncio

from bench import practice_path


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("which", nargs="?", default="practice", choices=["practice"])
    p.add_argument("--learners", type=int, default=10_000)
    p.add_argument("--cards", type=int, default=200)
    p.add_argument("--samples", type=int, default=2_000)
    args = p.parse_args()
    asyncio.run(practice_path.run(args.learners, args.cards, args.samples))


if __name__ == "__main__":
    main()
