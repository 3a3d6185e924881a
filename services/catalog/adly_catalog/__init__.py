"""The catalog context owns store connections, their credentials, product and order sync, and webhooks."""
