"""How the outside reaches the auth context: HTTP routes and event consumers."""
