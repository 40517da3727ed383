"""The OCI grammars for repository names and tags."""

from __future__ import annotations

import re

from dockyard.content.errors import NameInvalid, TagInvalid

MAX_NAME_LENGTH = 255
_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_NAME = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")


def validate_name(name: str) -> str:
    """Return `name` if it is a valid repository name, else raise `NameInvalid` saying why."""
    if len(name) > MAX_NAME_LENGTH:
        raise NameInvalid(f"repository name is longer than {MAX_NAME_LENGTH} characters", detail={"name": name[:300]})
    if not _NAME.fullmatch(name):
        raise NameInvalid(
            "invalid repository name: use lower-case letters, digits and separators (. _ __ -), "
            "path components joined by /",
            detail={"name": name[:300]},
        )
    return name


def validate_tag(tag: str) -> str:
    """Return `tag` if it is a valid tag, else raise `TagInvalid`."""
    if not _TAG.fullmatch(tag):
        raise TagInvalid(
            "invalid tag: up to 128 of letters, digits, '_', '.', '-', not starting with '.' or '-'",
            detail={"tag": tag[:200]},
        )
    return tag
