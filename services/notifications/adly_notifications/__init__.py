"""The notifications context owns who is told what: in-app feeds, members' preferences and outbound webhooks."""
