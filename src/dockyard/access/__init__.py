"""Authorization: who may do what, decided by pure functions that return their reasons.

`decide()` serves the token service, the management API and `dockyard explain` alike, so an
explanation can never disagree with enforcement.
"""
