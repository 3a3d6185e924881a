"""The gateway owns the public edge: JWTs, workspace roles, rate limits, audit log, proxying, live push."""
