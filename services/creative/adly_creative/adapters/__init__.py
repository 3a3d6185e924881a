"""Adapters of the creative context: database repositories and clients of external APIs."""
