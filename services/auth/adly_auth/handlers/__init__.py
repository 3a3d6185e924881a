"""Use cases of the auth context. Handlers never commit: the edge owns the transaction.

A handler that must keep a failed attempt's effect (a revoked token family, a counted
TOTP failure) returns the error instead of raising it, so the edge commits and then refuses.
"""
