"""Adapters of the analytics context: database repositories and clients of external APIs."""
