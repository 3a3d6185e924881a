"""How the outside reaches the campaigns context: HTTP routes and event consumers."""
