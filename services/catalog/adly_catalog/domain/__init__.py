"""The catalog context's rules in plain Python: ids, change detection, sync progress.

No I/O imports here (no database, broker, HTTP or web framework); tests/test_service_shapes.py checks it.
"""
