"""Local fake servers of the third-party APIs ADLY talks to: test equipment, never product.

Each reproduces its platform's real wire format (auth headers, pagination, throttling,
error bodies, webhook signing, token expiry) so the real clients can be tested on
127.0.0.1; `FakeServer` runs one on a free port in a background thread.
"""
