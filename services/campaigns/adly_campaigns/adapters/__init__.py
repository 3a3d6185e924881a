"""Adapters of the campaigns context: database repositories and clients of external APIs."""
