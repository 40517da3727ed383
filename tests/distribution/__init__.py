"""HTTP-level tests of the OCI distribution API against a running registry."""
