"""How the outside reaches the analytics context: HTTP routes and event consumers."""
