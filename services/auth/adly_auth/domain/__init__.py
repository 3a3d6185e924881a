"""The auth domain: credentials, secrets, TOTP and the workspace aggregate. Plain Python, no I/O."""
