"""Use cases of the creative context: command handlers, event handlers and the steps of a job.

A handler loads aggregates through the ports (`handlers/ports.py`), asks the domain to
decide, and saves the resulting events; it never opens or commits a transaction. The edge
owns it: the HTTP request (one `unit_of_work`), the consumed message (`delivery.tx`), or
the generation runner (`entrypoints/runners.py`: one transaction per step).
"""
