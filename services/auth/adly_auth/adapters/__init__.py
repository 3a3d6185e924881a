"""Adapters of the auth context: Postgres repositories, JWT signing, mail, OpenID Connect."""
