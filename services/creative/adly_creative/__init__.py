"""The creative context owns AI-generated ad content, provider routing, quotas and asset storage."""
