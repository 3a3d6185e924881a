"""Use cases of the creative context: command handlers and event handlers.

A handler loads aggregates through adapters, asks the domain to decide, and saves the
resulting events; it never commits. The edge (the HTTP request, the consumed message)
owns the transaction and commits once at its end.
"""
