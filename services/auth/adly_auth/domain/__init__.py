"""The auth domain: credentials, secrets, TOTP, the workspace aggregate, the records auth keeps
and the ports without a transaction. Plain Python, no I/O."""
