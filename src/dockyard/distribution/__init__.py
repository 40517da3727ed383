"""The OCI Distribution API over HTTP: thin handlers that parse, ask the access controller, call the
content use cases and answer in the spec's headers and error JSON."""
