"""GitLab's GraphQL limits, computed the way GitLab computes them, for the fake's /api/graphql.

- **Complexity** (``GitlabSchema``: 200 anonymous, 250 authenticated). GitLab's
  ``Types::BaseField#complexity_for`` replaces graphql-ruby's connection pricing, so a
  connection is not multiplied by its page size. Each field costs its own complexity
  plus its selections':

  - a plain field: 1 (``DEFAULT_COMPLEXITY``);
  - a field declared with a constant complexity N: N;
  - a field with a resolver: 1 (``Resolvers::BaseResolver.resolver_complexity``), +1 when
    a ``sort`` argument is given or defaulted, +5 with ``search``; on a connection the
    total is then multiplied by ``1 + min(first, last, 100) * 0.01``
    (``complexity_multiplier``), or by 1 when ``iid``/``iids`` is given; truncated to an
    integer.

  On an interface or union, the fields that apply to each possible type are summed and the
  most expensive type counts (graphql-ruby's analysis).
- **Depth** (15 anonymous, 20 authenticated): the deepest nesting of fields; fragments do
  not count as a level.
- **Page size**: ``first``/``last`` above 100 are served as 100 (``default_max_page_size``).
- **Query size**: 10,000 characters (GitLab's GraphQL API limits).

Which fields have a resolver or a constant complexity is read from the schema's field
descriptions (see gitlab_schema.graphql).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.utilities import value_from_ast

MAX_COMPLEXITY = {True: 250, False: 200}
"""By whether the request is authenticated."""
MAX_DEPTH = {True: 20, False: 15}
MAX_PAGE_SIZE = 100
MAX_QUERY_SIZE = 10_000
ITEM_MULTIPLIER = 0.01

_CONSTANT = re.compile(r"complexity:\s*(\d+)")


def complexity_error(score: int, limit: int) -> str:
    return f"Query has complexity of {score}, which exceeds max complexity of {limit}"


def depth_error(depth: int, limit: int) -> str:
    return f"Query has depth of {depth}, which exceeds max depth of {limit}"


class Analysis:
    """Complexity and depth of one operation of a parsed, valid document."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def operation(self, operation: OperationDefinitionNode) -> tuple[int, int]:
        root = self.schema.query_type
        assert root is not None
        return self.selections(operation.selection_set, root), self.depth(operation.selection_set, 0)

    # -- complexity ------------------------------------------------------------------

    def selections(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        if selection_set is None:
            return 0
        possible = self._possible_types(parent)
        return max(self._sum_for(selection_set, parent, concrete) for concrete in possible)

    def _sum_for(self, selection_set: SelectionSetNode, parent: Any, concrete: GraphQLObjectType) -> int:
        total = 0
        seen: set[str] = set()
        for node, owner in self._fields(selection_set, parent, concrete):
            key = (node.alias or node.name).value
            if key in seen:
                continue
            seen.add(key)
            total += self.field(node, owner)
        return total

    def _fields(
        self, selection_set: SelectionSetNode, parent: Any, concrete: GraphQLObjectType
    ) -> list[tuple[FieldNode, Any]]:
        found: list[tuple[FieldNode, Any]] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found.append((selection, parent))
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                condition, inner = fragment.type_condition, fragment.selection_set
            else:
                assert isinstance(selection, InlineFragmentNode)
                condition, inner = selection.type_condition, selection.selection_set
            target = self.schema.get_type(condition.name.value) if condition else parent
            if target is not None and self._applies(target, concrete):
                found.extend(self._fields(inner, target, concrete))
        return found

    def _applies(self, condition: Any, concrete: GraphQLObjectType) -> bool:
        if condition is concrete:
            return True
        if isinstance(condition, (GraphQLInterfaceType, GraphQLUnionType)):
            return concrete in self.schema.get_possible_types(condition)
        return False

    def _possible_types(self, parent: Any) -> list[GraphQLObjectType]:
        if isinstance(parent, (GraphQLInterfaceType, GraphQLUnionType)):
            return list(self.schema.get_possible_types(parent)) or [parent]
        return [parent]

    def field(self, node: FieldNode, parent: Any) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 1 + self._introspection(node)
        definition: GraphQLField = parent.fields[name]
        child = self.selections(node.selection_set, get_named_type(definition.type))
        description = definition.description or ""
        constant = _CONSTANT.search(description)
        if constant:
            return int(constant.group(1)) + child
        if "resolver:" not in description:
            return 1 + child
        args = self.arguments(node, definition)
        score: float = child + 1 + (1 if args.get("sort") is not None else 0) + (5 if args.get("search") else 0)
        if get_named_type(definition.type).name.endswith("Connection"):
            limit = min(v for v in (args.get("first"), args.get("last"), MAX_PAGE_SIZE) if v is not None)
            multiplier = 0 if args.get("iid") or args.get("iids") else ITEM_MULTIPLIER
            score += score * max(limit, 0) * multiplier
        return int(score)

    def _introspection(self, node: FieldNode) -> int:
        if node.selection_set is None:
            return 0
        return sum(
            1 + self._introspection(child) for child in node.selection_set.selections if isinstance(child, FieldNode)
        )

    def arguments(self, node: FieldNode, definition: GraphQLField) -> dict[str, Any]:
        """The field's arguments as the resolver sees them: given, else their defaults."""
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        values: dict[str, Any] = {}
        for name, argument in definition.args.items():
            if name in given:
                values[name] = value_from_ast(given[name], argument.type, dict(self.variables))
            elif not _undefined(argument.default_value):
                values[name] = argument.default_value
            elif argument.ast_node is not None and argument.ast_node.default_value is not None:
                values[name] = value_from_ast(argument.ast_node.default_value, argument.type)
        return values

    # -- depth -----------------------------------------------------------------------

    def depth(self, selection_set: SelectionSetNode | None, level: int) -> int:
        if selection_set is None:
            return level
        deepest = level
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                deepest = max(deepest, self.depth(selection.selection_set, level + 1))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                deepest = max(deepest, self.depth(fragment.selection_set, level))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.depth(selection.selection_set, level))
        return deepest


def _undefined(value: Any) -> bool:
    from graphql.pyutils import Undefined

    return value is Undefined


def page_size(args: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """``first`` and ``last`` as served: at most ``MAX_PAGE_SIZE``, never negative."""

    def clamp(value: Any) -> int | None:
        return None if value is None else max(0, min(int(value), MAX_PAGE_SIZE))

    return clamp(args.get("first")), clamp(args.get("last"))
