"""The catalog context's rules in plain Python: ids, what is new, changed or unchanged, store
connections, sync progress, and the ports a store platform is reached through.

No I/O imports here (no database, broker, HTTP or web framework); tests/test_service_shapes.py checks it.
"""
