"""How the outside reaches the creative context: HTTP routes and event consumers."""
