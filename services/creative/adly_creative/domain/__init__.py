"""The creative context's aggregates, value objects and rules, in plain Python.

No I/O imports here (no database, broker, HTTP or web framework); `tests/unit` checks it.
"""
