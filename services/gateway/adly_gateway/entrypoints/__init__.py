"""How the outside reaches the gateway context: HTTP routes and event consumers."""
