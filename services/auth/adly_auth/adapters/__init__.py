"""Adapters of the auth context: database repositories and clients of external APIs."""
