"""The study plan: a goal, daily pace, breadth beside mastery, readiness, and per-learner FSRS fitting.

Public entry: bot.core.plan.plan (use cases); practice asks bot.core.plan.rules what to serve.
"""
