"""The knowledge file loads, names every cause once, and each cause can be recognised, confirmed and fixed."""

from __future__ import annotations

import pytest

from dockyard.doctor.knowledge import KnowledgeInvalid, load_knowledge, parse_knowledge, render_fix
from dockyard.doctor.vocabulary import CauseId

_MINIMAL = """
[[cause]]
id = "client-missing"
seed = {seed}
title = "t"
explanation = "e"
fix = ["f"]
probes = ["{probe}"]
codes = []
reasons = []
symptoms = ["s"]
patterns = [{{ regex = '{regex}', weight = 3 }}]
"""


def test_the_knowledge_file_loads_with_an_entry_for_every_cause_id() -> None:
    knowledge = load_knowledge()

    assert [cause.id for cause in knowledge.causes] == list(CauseId)


def test_every_cause_has_patterns_a_fix_probes_and_symptoms() -> None:
    for cause in load_knowledge().causes:
        assert cause.patterns, cause.id
        assert cause.fix, cause.id
        assert cause.probes, cause.id
        assert cause.symptoms, cause.id


def test_every_cause_of_the_seed_document_is_covered() -> None:
    assert {cause.seed for cause in load_knowledge().causes} == set(range(1, 8))


def test_context_patterns_find_the_login_server_the_repository_and_the_ip() -> None:
    assert set(load_knowledge().context) == {"login_server", "repository", "ip"}


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"seed": 9}, "seed"),
        ({"probe": "no_such_step"}, "no_such_step"),
        ({"regex": "(unclosed"}, "does not compile"),
    ],
)
def test_a_broken_entry_is_refused_naming_what_is_wrong(change: dict[str, object], complaint: str) -> None:
    fields: dict[str, object] = {"seed": 1, "probe": "docker_client", "regex": "x"} | change

    with pytest.raises(KnowledgeInvalid, match=complaint):
        parse_knowledge(_MINIMAL.format(**fields))


def test_a_file_that_leaves_a_cause_out_is_refused() -> None:
    with pytest.raises(KnowledgeInvalid, match="without an entry"):
        parse_knowledge(_MINIMAL.format(seed=1, probe="docker_client", regex="x"))


def test_an_unknown_cause_id_is_refused() -> None:
    with pytest.raises(KnowledgeInvalid, match="not-a-cause"):
        parse_knowledge(_MINIMAL.format(seed=1, probe="docker", regex="x").replace("client-missing", "not-a-cause"))


def test_a_fix_is_rendered_with_what_is_known_and_keeps_the_rest_as_placeholders() -> None:
    line = "dockyard network-rule add --ip-address <ip>/32 # <login-server>, <repository>"

    rendered = render_fix(line, {"ip": "203.0.113.7", "login-server": "registry.example.com"})

    assert rendered == "dockyard network-rule add --ip-address 203.0.113.7/32 # registry.example.com, <repository>"
