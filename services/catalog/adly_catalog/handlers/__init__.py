"""Use cases of the catalog context: command handlers, event handlers and a sync's steps.

A handler loads through ports (`handlers/ports.py`, and the platform ports of
`domain/ports.py`), asks the domain to decide, and saves through ports; it never opens or
commits a transaction. The edge (the request, the consumed message, the runner) owns it.
"""
