"""Clients of the store platforms: Shopify, WooCommerce, Salla, Zid (INTEGRATIONS §1-4)."""
