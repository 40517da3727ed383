"""Network access: public network access, IP rules, trusted networks and trusted proxies.

`admit()` decides from a client IP and the rules alone, without I/O; the ASGI middleware in
`middleware.py` (the only module here that knows HTTP) applies it before any credential is looked at.
"""
