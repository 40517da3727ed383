"""Dockyard: a self-hosted OCI registry whose sign-in works the way Azure Container Registry's does."""

__version__ = "0.1.0"
