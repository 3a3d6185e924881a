"""Read models of the auth context, fed from its own event store."""
