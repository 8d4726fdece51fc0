"""Composing a YAML document into nodes, within limits: the first half of reading a scenario file.

:func:`compose` turns the parser's events into a node graph without recursion, refusing nesting deeper than
:data:`MAX_DEPTH`, more than :data:`MAX_NODES` distinct values, undefined, recursive or twice-defined anchors and
a second document; :func:`check_size` then counts the values with aliases expanded ("billion laughs") before
anything is built. :mod:`sim.scenario.yamlload` builds the positioned mappings and lists from the nodes.
"""

from __future__ import annotations

from typing import Any, Final

from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent, StreamEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sim.scenario.errors import Diagnostic, Mark, ScenarioError

MAX_NODES: Final = 200_000
"""The most values a file may hold, aliases expanded."""
MAX_DEPTH: Final = 100
"""The deepest lists and mappings may nest."""

_NODE_FOR: Final[dict[type, Any]] = {
    ScalarEvent: ScalarNode, SequenceStartEvent: SequenceNode, MappingStartEvent: MappingNode
}


def _err(message: str, mark: Mark | None, **extra: str | None) -> ScenarioError:
    """A problem of the file as a whole (no key path yet: nothing is built)."""
    return ScenarioError(Diagnostic(message, mark, "", **extra))


def mark_of(filename: str, node_or_event: Any) -> Mark:
    """Where a YAML node or parser event starts, as a 1-based :class:`~sim.scenario.errors.Mark` in ``filename``."""
    return Mark(filename, node_or_event.start_mark.line + 1, node_or_event.start_mark.column + 1)


def compose(loader: Any, filename: str) -> Node | None:
    """Compose the single document a PyYAML ``loader`` reads into a node graph, iteratively (no recursion;
    nesting limited to :data:`MAX_DEPTH`, values to :data:`MAX_NODES`); ``None`` for an empty stream.

    Raises:
        ScenarioError: an undefined, recursive or twice-defined anchor, too many values, too deep, or a second
            document.
    """
    loader.get_event()  # StreamStartEvent
    if loader.check_event(StreamEndEvent):
        return None
    loader.get_event()  # DocumentStartEvent
    anchors: dict[str, Node] = {}
    open_anchors: set[str] = set()  # anchors of collections still being composed
    stack: list[list[Any]] = []  # [collection node, pending key node, anchor]
    count = 0  # distinct values: a lower bound of the values building visits, so stop early on huge files
    while True:
        event: Any = loader.get_event()
        if isinstance(event, AliasEvent):
            if event.anchor in open_anchors:
                raise _err(f"alias `*{event.anchor}` is used inside the value it names (a recursive alias)",
                           mark_of(filename, event), hint="a value cannot contain itself; write it out")
            if event.anchor not in anchors:
                raise _err(f"alias `*{event.anchor}` is not defined", mark_of(filename, event),
                           hint=f"define it earlier in the file with `&{event.anchor}`")
            node = anchors[event.anchor]
        elif (kind := _NODE_FOR.get(type(event))) is not None:
            count += 1
            if count > MAX_NODES:
                raise _too_many(filename, event, aliased=False)
            if event.anchor in anchors:
                first = mark_of(filename, anchors[event.anchor]).line
                raise _err(f"anchor `&{event.anchor}` is defined twice", mark_of(filename, event),
                           hint=f"it was first defined at line {first}; give each anchor its own name")
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(kind, getattr(event, "value", None), event.implicit)
            if kind is ScalarNode:
                node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            elif len(stack) >= MAX_DEPTH:
                raise too_deep(mark_of(filename, event))
            else:
                node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
            if event.anchor is not None:
                anchors[event.anchor] = node
            if kind is not ScalarNode:
                if event.anchor is not None:
                    open_anchors.add(event.anchor)
                stack.append([node, None, event.anchor])
                continue
        else:  # SequenceEndEvent / MappingEndEvent
            node, _, anchor = stack.pop()
            node.end_mark = event.end_mark
            open_anchors.discard(anchor)
        if not stack:
            break
        frame = stack[-1]
        if isinstance(frame[0], SequenceNode):
            frame[0].value.append(node)
        elif frame[1] is None:
            frame[1] = node
        else:
            frame[0].value.append((frame[1], node))
            frame[1] = None
    loader.get_event()  # DocumentEndEvent
    if not loader.check_event(StreamEndEvent):
        raise _err("one YAML document per file", mark_of(filename, loader.get_event()),
                   expected="a single document", found="a second document after `---`",
                   hint="put each scenario in its own file, or remove the extra `---`")
    return node


def _children(node: Node) -> list[Node]:
    if isinstance(node, ScalarNode):
        return []
    return list(node.value) if isinstance(node, SequenceNode) else [n for pair in node.value for n in pair]


def check_size(root: Node, filename: str) -> None:
    """Count the values building would visit (aliases expanded) without building; refuse above :data:`MAX_NODES`.

    Raises:
        ScenarioError: more than :data:`MAX_NODES` values, pointing at the deepest value too big by itself.
    """
    sizes: dict[int, int] = {}  # id(node) -> expanded size, capped at MAX_NODES + 1

    def size(node: Node) -> int:
        if id(node) not in sizes:
            sizes[id(node)] = min(1 + sum(size(child) for child in _children(node)), MAX_NODES + 1)
        return sizes[id(node)]

    if size(root) <= MAX_NODES:
        return
    node = root
    while (child := next((c for c in _children(node) if sizes[id(c)] > MAX_NODES), None)) is not None:
        node = child  # point at the deepest value that is too big by itself
    raise _too_many(filename, node, aliased=True)


def _too_many(filename: str, where: Any, aliased: bool) -> ScenarioError:
    how = "expands to" if aliased else "holds"
    through = ' through YAML aliases (a "billion laughs" file?)' if aliased else ""
    return _err(f"the file {how} more than {MAX_NODES} values{through}", mark_of(filename, where),
                expected=f"at most {MAX_NODES} values", found=f"more than {MAX_NODES}",
                hint="write the values out instead of nesting aliases" if aliased else "split the file")


def too_deep(mark: Mark | None) -> ScenarioError:
    """The error for values nested deeper than :data:`MAX_DEPTH` (whichever parser noticed it)."""
    return _err(f"values are nested more than {MAX_DEPTH} levels deep", mark,
                expected=f"at most {MAX_DEPTH} levels of lists and mappings",
                hint="flatten the structure (is a bracket left open?)")
