"""Repository names and tags are accepted exactly when they match the distribution spec's grammars."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dockyard.content.errors import NameInvalid, TagInvalid
from dockyard.content.names import validate_name, validate_tag

# The grammars as distribution-spec v1.1 writes them ("Pulling manifests").
_COMPONENT = r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*"
SPEC_NAME = re.compile(rf"{_COMPONENT}(\/{_COMPONENT})*")
SPEC_TAG = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
MAX_NAME = 255  # "the total length of a repository name, including slashes, MUST be less than 256"

_alphanumerics = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
_separators = st.sampled_from([".", "_", "__", "-", "--", "---"])
valid_components = st.builds(
    lambda first, rest: first + "".join(separator + run for separator, run in rest),
    _alphanumerics,
    st.lists(st.tuples(_separators, _alphanumerics), max_size=3),
)
valid_names = st.lists(valid_components, min_size=1, max_size=5).map("/".join)  # at most 209 characters
valid_tags = st.from_regex(SPEC_TAG, fullmatch=True)
# Text drawn mostly from the characters the grammars care about, so near-misses are common.
name_like = st.text(alphabet=st.sampled_from("ab09._-/A \n\x00é:"), max_size=40) | st.text(max_size=40)
tag_like = st.text(alphabet=st.sampled_from("aZ09._-/ \n\x00é:+"), max_size=140) | st.text(max_size=40)


def _spec_accepts_name(name: str) -> bool:
    return SPEC_NAME.fullmatch(name) is not None and len(name) <= MAX_NAME


@given(valid_names)
def test_every_name_the_spec_allows_is_accepted_unchanged(name: str) -> None:
    assert _spec_accepts_name(name)  # the strategy itself follows the spec
    assert validate_name(name) == name


@given(name_like)
@example("library/app\n")
@example("library/app/")
@example("a" * 256)
def test_a_name_is_accepted_exactly_when_the_spec_grammar_matches_it(name: str) -> None:
    try:
        validate_name(name)
    except NameInvalid:
        accepted = False
    else:
        accepted = True

    assert accepted == _spec_accepts_name(name), repr(name)


@given(valid_names, st.sampled_from(["\n", "/", "-", ".", "_", "___a", "/A", " ", "\x00", "é", "/../a", "//a"]))
def test_a_valid_name_with_a_bad_ending_is_refused(name: str, ending: str) -> None:
    with pytest.raises(NameInvalid):
        validate_name(name + ending)


@given(valid_names)
def test_a_name_longer_than_255_characters_is_refused(name: str) -> None:
    long_name = (name + "/") * (MAX_NAME // (len(name) + 1) + 1) + name

    with pytest.raises(NameInvalid):
        validate_name(long_name)


@given(valid_tags)
def test_every_tag_the_spec_allows_is_accepted_unchanged(tag: str) -> None:
    assert validate_tag(tag) == tag


@given(tag_like)
@example("latest\n")
@example("a" * 129)
@example(".hidden")
def test_a_tag_is_accepted_exactly_when_the_spec_grammar_matches_it(tag: str) -> None:
    try:
        validate_tag(tag)
    except TagInvalid:
        accepted = False
    else:
        accepted = True

    assert accepted == (SPEC_TAG.fullmatch(tag) is not None), repr(tag)


@given(valid_tags, st.sampled_from(["\n", "/", ":", " ", "+", "\x00", "é"]))
def test_a_valid_tag_with_a_bad_character_appended_is_refused(tag: str, ending: str) -> None:
    with pytest.raises(TagInvalid):
        validate_tag(tag + ending)
