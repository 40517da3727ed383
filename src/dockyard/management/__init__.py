"""The management API: REST under `/api/v1` with its OpenAPI document at `/api/openapi.json`.

Callers sign in to the directory and present its token as `Authorization: Bearer`; every operation
needs one control-plane action, decided by `access.control_plane.decide_control()` from the same
role assignments as the data plane. Layout: `api` (the ASGI app and the request pipeline),
`operations` (what an operation is), `resources/` (one module per resource: models, handlers,
operations), `schema` (dataclasses as JSON Schema and parsers), `openapi`, `errors` (ARM's error
shape), `authentication`, and `local` (the in-process operator client). This package reads and writes
only through the domain's stores; it never writes SQL itself.
"""
