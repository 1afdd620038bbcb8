"""Daily push delivery: the platform Messengers (REST only) and the `python -m bot push` worker."""
