"""How the outside reaches the catalog context: HTTP routes, event consumers, the sync runners
and commands. Each edge owns its transactions; handlers are handed one."""
