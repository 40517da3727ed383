"""Digests are parsed exactly as the OCI grammar and the registered algorithms say, and round-trip."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dockyard.content.digests import digest_of, parse_digest
from dockyard.content.errors import DigestInvalid

# OCI image-spec, descriptor.md "Digests": the grammar, and the encodings of the registered algorithms.
SPEC_DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
REGISTERED = {"sha256": re.compile(r"[a-f0-9]{64}"), "sha512": re.compile(r"[a-f0-9]{128}")}

sha256_digests = st.from_regex(r"sha256:[a-f0-9]{64}", fullmatch=True)
sha512_digests = st.from_regex(r"sha512:[a-f0-9]{128}", fullmatch=True)
digest_like = st.builds(
    lambda algorithm, encoded: f"{algorithm}:{encoded}",
    st.sampled_from(["sha256", "sha512", "SHA256", "sha384", "md5", "", "sha256+b64"]),
    st.text(alphabet=st.sampled_from("0123456789abcdefABCDEFg=_-\n"), max_size=130),
) | st.text(max_size=80)


def _registered_and_valid(text: str) -> bool:
    algorithm, _, encoded = text.partition(":")
    pattern = REGISTERED.get(algorithm)
    return SPEC_DIGEST.fullmatch(text) is not None and pattern is not None and pattern.fullmatch(encoded) is not None


@given(sha256_digests | sha512_digests)
def test_a_valid_digest_of_a_registered_algorithm_parses_and_prints_back(text: str) -> None:
    digest = parse_digest(text)

    assert str(digest) == text
    assert f"{digest.algorithm}:{digest.encoded}" == text


@given(digest_like)
@example("sha256:" + "a" * 64 + "\n")
@example("sha256:" + "A" * 64)
@example("sha256:" + "a" * 63)
@example("sha512:" + "a" * 64)
def test_a_digest_is_accepted_exactly_when_it_is_a_valid_registered_digest(text: str) -> None:
    try:
        parse_digest(text)
    except DigestInvalid:
        accepted = False
    else:
        accepted = True

    assert accepted == _registered_and_valid(text), repr(text)


@given(st.from_regex(SPEC_DIGEST, fullmatch=True).filter(lambda d: d.split(":")[0] not in REGISTERED))
def test_a_well_formed_digest_of_an_unregistered_algorithm_is_refused(text: str) -> None:
    with pytest.raises(DigestInvalid):
        parse_digest(text)


@given(st.binary(max_size=2048), st.sampled_from(["sha256", "sha512"]))
def test_the_digest_of_content_parses_back_to_itself(data: bytes, algorithm: str) -> None:
    digest = digest_of(data, algorithm)

    assert parse_digest(str(digest)) == digest
    assert digest.encoded == hashlib.new(algorithm, data).hexdigest()
