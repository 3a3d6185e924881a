"""Adapters of the catalog context: database repositories and clients of external APIs."""
