"""Adapters of the gateway context: database repositories and clients of external APIs."""
