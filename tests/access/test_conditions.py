"""ABAC conditions as people write them for repositories: parsed once, evaluated purely, explained."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockyard.access.conditions import (
    REPOSITORY_NAME,
    ActionMatches,
    And,
    AttributeSource,
    Comparison,
    Condition,
    ConditionSyntaxError,
    Not,
    Or,
    StringOperator,
    evaluate,
    explain,
    parse_condition,
    prefix_warnings,
    render,
)

ACTIONS = "Microsoft.ContainerRegistry/registries/repositories/"
CONTENT_READ = ACTIONS + "content/read"
METADATA_READ = ACTIONS + "metadata/read"
METADATA_WRITE = ACTIONS + "metadata/write"
NAME = f"@Request[{REPOSITORY_NAME}]"

# DESIGN.md section 5, verbatim: "if the action is one of these, the repository must match".
DESIGN_EXAMPLE = """(
 ( !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})
   AND !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/metadata/read'}) )
 OR
 ( @Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWithIgnoreCase 'backend/' )
)"""

A, B, C = ActionMatches("a"), ActionMatches("b"), ActionMatches("c")


def holds(text: str, repository: str, action: str = CONTENT_READ) -> bool:
    return evaluate(parse_condition(text), action=action, repository=repository)


def syntax_error(text: str) -> ConditionSyntaxError:
    with pytest.raises(ConditionSyntaxError) as caught:
        parse_condition(text)
    return caught.value


# The example from the design


def test_the_design_example_parses_into_the_tree_it_reads_as() -> None:
    assert parse_condition(DESIGN_EXAMPLE) == Or(
        (
            And((Not(ActionMatches(CONTENT_READ)), Not(ActionMatches(METADATA_READ)))),
            Comparison(StringOperator.STRING_STARTS_WITH_IGNORE_CASE, "backend/"),
        )
    )


def test_the_design_example_lets_content_read_into_backend() -> None:
    assert holds(DESIGN_EXAMPLE, "backend/api")


def test_the_design_example_keeps_content_read_out_of_frontend() -> None:
    assert not holds(DESIGN_EXAMPLE, "frontend/web")


@pytest.mark.parametrize("repository", ["backend/api", "frontend/web", "anything"])
def test_the_design_example_does_not_restrict_actions_it_does_not_name(repository: str) -> None:
    assert holds(DESIGN_EXAMPLE, repository, action=METADATA_WRITE)


def test_the_design_example_ignores_the_case_of_the_repository_name() -> None:
    assert holds(DESIGN_EXAMPLE, "BackEnd/api")


# Operators


@pytest.mark.parametrize(
    ("operator", "value", "repository", "expected"),
    [
        ("StringEquals", "backend/api", "backend/api", True),
        ("StringEquals", "backend/api", "Backend/API", False),
        ("StringEquals", "backend/api", "backend/api2", False),
        ("StringEqualsIgnoreCase", "backend/api", "Backend/API", True),
        ("StringEqualsIgnoreCase", "backend/api", "backend/api2", False),
        ("StringNotEquals", "backend/api", "backend/api", False),
        ("StringNotEquals", "backend/api", "Backend/API", True),
        ("StringNotEqualsIgnoreCase", "backend/api", "Backend/API", False),
        ("StringNotEqualsIgnoreCase", "backend/api", "frontend/web", True),
        ("StringStartsWith", "backend/", "backend/api", True),
        ("StringStartsWith", "backend/", "Backend/api", False),
        ("StringStartsWithIgnoreCase", "backend/", "BACKEND/api", True),
        ("StringStartsWithIgnoreCase", "backend/", "frontend/backend/api", False),
        ("StringNotStartsWith", "backend/", "backend/api", False),
        ("StringNotStartsWith", "backend/", "Backend/api", True),
        ("StringNotStartsWithIgnoreCase", "backend/", "Backend/api", False),
        ("StringNotStartsWithIgnoreCase", "backend/", "frontend/web", True),
        ("StringLike", "team-*/app", "team-a/app", True),
        ("StringLike", "team-*/app", "team-a/app/x", False),
        ("StringLike", "team-?/app", "team-b/app", True),
        ("StringLike", "team-?/app", "team-bb/app", False),
        ("StringLike", "team-*/app", "TEAM-a/app", False),
        ("StringLikeIgnoreCase", "team-*/app", "TEAM-a/APP", True),
        ("StringLikeIgnoreCase", "team-?/app", "TEAM-bb/APP", False),
        ("StringNotLike", "team-*", "team-a/app", False),
        ("StringNotLike", "team-*", "Team-a/app", True),
        ("StringNotLikeIgnoreCase", "team-*", "Team-a/app", False),
        ("StringNotLikeIgnoreCase", "team-*", "ops/app", True),
    ],
)
def test_each_string_operator_and_its_ignore_case_form(
    operator: str, value: str, repository: str, expected: bool
) -> None:
    assert holds(f"{NAME} {operator} '{value}'", repository) is expected


def test_string_like_wildcards_match_across_slashes() -> None:
    assert holds(f"{NAME} StringLike 'team-a*'", "team-a/deep/nested/app")


def test_a_backslash_makes_a_like_wildcard_literal() -> None:
    assert holds(f"{NAME} StringLike 'a\\*b'", "a*b")
    assert not holds(f"{NAME} StringLike 'a\\*b'", "axxb")


def test_a_quote_can_be_escaped_inside_a_value() -> None:
    assert parse_condition(f"{NAME} StringEquals 'it\\'s'") == Comparison(StringOperator.STRING_EQUALS, "it\\'s")
    assert holds(f"{NAME} StringEquals 'it\\'s'", "it's")


def test_resource_and_request_name_the_same_repository_attribute() -> None:
    text = f"@Resource[{REPOSITORY_NAME}] StringEquals 'backend/api'"
    assert parse_condition(text) == Comparison(StringOperator.STRING_EQUALS, "backend/api", AttributeSource.RESOURCE)
    assert holds(text, "backend/api")


def test_action_matches_compares_the_whole_action() -> None:
    assert holds(f"ActionMatches{{'{CONTENT_READ}'}}", "r", action=CONTENT_READ)
    assert not holds(f"ActionMatches{{'{ACTIONS}content'}}", "r", action=CONTENT_READ)


def test_action_matches_treats_star_as_a_wildcard() -> None:
    assert holds(f"ActionMatches{{'{ACTIONS}*'}}", "r", action=CONTENT_READ)
    assert holds("ActionMatches{'Microsoft.ContainerRegistry/*/read'}", "r", action=METADATA_READ)
    assert not holds(f"ActionMatches{{'{ACTIONS}*/write'}}", "r", action=CONTENT_READ)


def test_action_matches_ignores_case_as_azure_actions_do() -> None:
    assert holds(f"ActionMatches{{'{CONTENT_READ.upper()}'}}", "r", action=CONTENT_READ)


# Boolean structure


def test_and_binds_tighter_than_or() -> None:
    text = "ActionMatches{'a'} OR ActionMatches{'b'} AND ActionMatches{'c'}"
    assert parse_condition(text) == Or((A, And((B, C))))


def test_not_binds_tighter_than_and() -> None:
    assert parse_condition("!ActionMatches{'a'} AND ActionMatches{'b'}") == And((Not(A), B))


def test_not_keyword_and_bang_mean_the_same() -> None:
    assert parse_condition("NOT ActionMatches{'a'}") == parse_condition("!(ActionMatches{'a'})") == Not(A)


def test_not_applies_to_a_whole_comparison() -> None:
    assert not holds(f"NOT {NAME} StringEquals 'x'", "x")


def test_parentheses_override_precedence() -> None:
    text = "(ActionMatches{'a'} OR ActionMatches{'b'}) AND ActionMatches{'c'}"
    assert parse_condition(text) == And((Or((A, B)), C))


def test_chains_of_the_same_operator_are_one_group() -> None:
    assert parse_condition("ActionMatches{'a'} AND ActionMatches{'b'} AND ActionMatches{'c'}") == And((A, B, C))


def test_double_ampersand_and_double_bar_are_and_and_or() -> None:
    assert parse_condition("ActionMatches{'a'} || ActionMatches{'b'} && ActionMatches{'c'}") == Or((A, And((B, C))))


def test_keywords_and_operators_are_case_insensitive() -> None:
    name = f"@request[{REPOSITORY_NAME.lower()}]"
    text = f"not actionmatches{{'a'}} and {name} stringequalsignorecase 'x' Or (ActionMatches{{'b'}})"
    expected = Or((And((Not(A), Comparison(StringOperator.STRING_EQUALS_IGNORE_CASE, "x"))), B))
    assert parse_condition(text) == expected


def test_whitespace_and_newlines_of_any_kind_separate_tokens() -> None:
    spread = "(\r\n\t!(\n ActionMatches{\n'a'\n}\n)\r\n\tOR\n\n" + NAME + "\n  StringEquals\n\t'x'\n)\n"
    assert parse_condition(spread) == Or((Not(A), Comparison(StringOperator.STRING_EQUALS, "x")))


# Refusals, with where


@pytest.mark.parametrize(
    ("text", "line", "column", "says"),
    [
        ("", 1, 1, "empty condition"),
        ("(\n ActionMatches{'a'}\n", 3, 1, "expected ')' to close the '(' at line 1, column 1"),
        ("ActionMatches{'a'}\n)", 2, 1, "unmatched ')'"),
        ("ActionMatches{'a'} OR\n  (ActionMatches{'b'}))", 2, 23, "unmatched ')'"),
        (f"(\n  {NAME} StringContains 'x'\n)", 2, 70, "unknown operator 'StringContains'"),
        (f"{NAME} StringEquals\n  'backend/", 2, 3, "unterminated string"),
        (f"{NAME} StringEquals backend", 1, 81, "expected a quoted value"),
        (f'{NAME} StringEquals "backend"', 1, 81, "single quotes"),
        ("ActionMatches{'a'}\n  garbage", 2, 3, "after a complete expression"),
        ("ActionMatches{'a'} ActionMatches{'b'}", 1, 20, "join expressions with AND or OR"),
        ("ActionMatches{'a'} AND", 1, 23, "expected an expression, found end of condition"),
        ("ActionMatches 'a'", 1, 15, "expected '{' after ActionMatches"),
        ("ActionMatches{'a'", 1, 18, "expected '}'"),
        ("ActionMatches{'a', 'b'}", 1, 18, "ActionMatches takes one action"),
        ("SubOperationMatches{'Blob.List'}", 1, 1, "unknown function 'SubOperationMatches'"),
        (f"{NAME} StringEquals {{'a', 'b'}}", 1, 81, "takes one value"),
        (f"{NAME} ForAnyOfAnyValues:StringEquals {{'a'}}", 1, 68, "unknown operator 'ForAnyOfAnyValues:StringEquals'"),
        (f"{NAME}", 1, 67, "expected an operator"),
        ("a & b", 1, 1, "unknown function 'a'"),
        ("ActionMatches{'a'} & ActionMatches{'b'}", 1, 20, "unexpected character '&'"),
    ],
)
def test_a_malformed_condition_is_refused_at_the_exact_line_and_column(
    text: str, line: int, column: int, says: str
) -> None:
    error = syntax_error(text)
    assert (error.line, error.column, says in error.message) == (line, column, True)


def test_the_error_position_is_the_offset_of_its_line_and_column() -> None:
    text = "(\n  ActionMatches{'a'}\n  OR\n  ActionMatches{'b'} )) "
    error = syntax_error(text)
    assert (error.position, text[error.position], error.line, error.column) == (len(text) - 2, ")", 4, 23)


def test_an_empty_condition_of_whitespace_is_refused() -> None:
    assert syntax_error("  \n\t ").message == "empty condition"


def test_the_error_text_names_line_and_column() -> None:
    assert str(syntax_error("ActionMatches{'a'} )")) == "unmatched ')' (line 1, column 20)"


def test_an_attribute_other_than_the_repository_name_is_refused_where_it_is_named() -> None:
    error = syntax_error("@Request[Microsoft.ContainerRegistry/registries/repositories:tag] StringEquals 'x'")
    assert (error.column, "the registry knows only the repository name" in error.message) == (10, True)


def test_an_attribute_source_other_than_request_or_resource_is_refused() -> None:
    error = syntax_error("ActionMatches{'a'} OR @Principal[x] StringEquals 'y'")
    assert (error.column, "unknown attribute source '@Principal'" in error.message) == (23, True)


def test_an_attribute_without_its_closing_bracket_is_refused() -> None:
    error = syntax_error("@Request[Microsoft.ContainerRegistry/registries/repositories:name StringEquals 'x'")
    assert (error.column, "unterminated attribute" in error.message) == (9, True)


def test_absurdly_deep_nesting_is_refused_rather_than_exhausting_the_stack() -> None:
    assert "nested more than" in syntax_error("(" * 5000 + "ActionMatches{'a'}" + ")" * 5000).message
    assert "nested more than" in syntax_error("!" * 5000 + "ActionMatches{'a'}").message


def test_the_tree_refuses_values_that_could_not_be_written_back() -> None:
    with pytest.raises(ValueError, match="unescaped quote"):
        Comparison(StringOperator.STRING_EQUALS, "it's")
    with pytest.raises(ValueError, match="two or more"):
        And((A,))


# The classic prefix mistake


def test_a_prefix_without_its_trailing_slash_is_warned_about() -> None:
    warnings = prefix_warnings(parse_condition(f"{NAME} StringStartsWithIgnoreCase 'backend'"))
    assert len(warnings) == 1
    assert "'backend-infra/app'" in warnings[0]
    assert "('backend/')" in warnings[0]


def test_a_prefix_with_its_trailing_slash_is_not_warned_about() -> None:
    assert prefix_warnings(parse_condition(DESIGN_EXAMPLE)) == []


def test_the_prefix_mistake_is_found_deep_inside_a_condition() -> None:
    text = DESIGN_EXAMPLE.replace("'backend/'", "'backend'").replace("StringStartsWithIgnoreCase", "StringStartsWith")
    assert len(prefix_warnings(parse_condition(f"!({text}) AND {NAME} StringStartsWith 'frontend'"))) == 2


def test_an_empty_prefix_is_warned_to_match_everything() -> None:
    assert "matches every repository" in prefix_warnings(parse_condition(f"{NAME} StringStartsWith ''"))[0]


def test_other_operators_do_not_raise_the_prefix_warning() -> None:
    assert prefix_warnings(parse_condition(f"{NAME} StringEquals 'backend'")) == []


# Explain and render


def test_explain_says_which_sub_expressions_were_true() -> None:
    trace = explain(parse_condition(DESIGN_EXAMPLE), action=CONTENT_READ, repository="frontend/web")
    assert trace.lines() == [
        "false OR of 2",
        "  false AND of 2",
        "    false NOT",
        f"      true  ActionMatches{{'{CONTENT_READ}'}}",
        "    true  NOT",
        f"      false ActionMatches{{'{METADATA_READ}'}}",
        f"  false {NAME} StringStartsWithIgnoreCase 'backend/'",
    ]


def test_render_writes_the_normalized_one_line_form() -> None:
    assert render(parse_condition(DESIGN_EXAMPLE)) == (
        f"(!(ActionMatches{{'{CONTENT_READ}'}}) AND !(ActionMatches{{'{METADATA_READ}'}})) OR "
        f"{NAME} StringStartsWithIgnoreCase 'backend/'"
    )


def test_render_parenthesizes_every_nested_group() -> None:
    assert render(And((Or((A, B)), And((B, C))))) == "(ActionMatches{'a'} OR ActionMatches{'b'}) AND " + (
        "(ActionMatches{'b'} AND ActionMatches{'c'})"
    )


# Properties


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


_values = st.text(st.characters(exclude_categories=("Cs",)), max_size=12).map(_escape)
_atoms: st.SearchStrategy[Condition] = st.one_of(
    st.builds(ActionMatches, _values),
    st.builds(Comparison, st.sampled_from(StringOperator), _values, st.sampled_from(AttributeSource)),
)
conditions: st.SearchStrategy[Condition] = st.recursive(
    _atoms,
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(And, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(Or, st.lists(inner, min_size=2, max_size=3).map(tuple)),
    ),
    max_leaves=10,
)
_names = st.text(st.sampled_from("abAB-/_.*?\\'"), max_size=8)
_actions = st.sampled_from([CONTENT_READ, METADATA_READ, METADATA_WRITE, "a", "b"])
_slips = ["", "(", ")", "'", "!", "NOT ", " AND ", " || ", "{", "}", ",", "@", "[", "]", "\\", "x", "\n", "&"]


@given(conditions)
def test_rendering_then_parsing_gives_back_the_same_tree(condition: Condition) -> None:
    assert parse_condition(render(condition)) == condition


@given(st.text())
def test_random_text_is_refused_only_with_a_condition_syntax_error(text: str) -> None:
    try:
        parse_condition(text)
    except ConditionSyntaxError as error:
        assert 0 <= error.position <= len(text)


@given(conditions, st.data())
def test_a_slip_of_the_keyboard_either_still_parses_and_round_trips_or_is_a_syntax_error(
    condition: Condition, data: st.DataObject
) -> None:
    text = render(condition)
    at = data.draw(st.integers(0, len(text)))
    text = text[:at] + data.draw(st.sampled_from(_slips)) + text[at + data.draw(st.integers(0, 3)) :]
    try:
        parsed = parse_condition(text)
    except ConditionSyntaxError as error:
        assert 0 <= error.position <= len(text)
    else:
        assert parse_condition(render(parsed)) == parsed


@given(conditions, _actions, _names)
def test_negating_a_condition_flips_its_result(condition: Condition, action: str, repository: str) -> None:
    assert evaluate(Not(condition), action=action, repository=repository) is not evaluate(
        condition, action=action, repository=repository
    )


@given(conditions, _actions, _names)
def test_explain_agrees_with_evaluate(condition: Condition, action: str, repository: str) -> None:
    trace = explain(condition, action=action, repository=repository)
    assert trace.result is evaluate(condition, action=action, repository=repository)
