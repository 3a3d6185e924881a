"""The store platforms: Shopify, WooCommerce, Salla, Zid (INTEGRATIONS §1-4). `<platform>.py`
and `<platform>_wire.py` speak each platform's API; `<platform>_ports.py` puts it behind the
catalog's ports (domain/ports.py)."""
