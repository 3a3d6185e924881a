"""How the outside reaches the catalog context: HTTP routes and event consumers."""
