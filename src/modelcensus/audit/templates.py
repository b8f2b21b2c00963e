"""Chat templates read the way Jinja reads them: parsed (never rendered) and judged on the syntax tree.

A chat template is Jinja code that transformers, vLLM or llama.cpp run on every request. Regular
expressions over its text were fooled by ``{{ "{#" }} ... {{ "#}" }}`` (comment markers inside string
literals hid the code between them), by ``"__cl" ~ "ass__"`` and by ``"\\x5f"`` escapes. So the template
is parsed with Jinja's own parser (``jinja2`` sandboxed environment, transformers' settings and
extensions: ``loopcontrols`` and the ``{% generation %}`` block), and the rules of
``audit/data/template_rules.yaml`` (a pydantic-validated file) are applied to what the tree holds:

- ``nodes``: statement kinds (``Import``, ``Include``...);
- ``names``: identifiers, attribute names, keyword names, and the constant keys of item accesses,
  ``|attr(...)`` and ``attribute=`` arguments (Jinja's ``x["k"]`` falls back to ``getattr``);
- ``calls``: the names called; ``filters``: filter and test names (``|map("attr", ...)`` counts as ``attr``);
- ``strings``: every constant string after folding: ``~`` and ``+`` concatenation, ``*``, ``%`` and
  ``format`` without widths, ``join``, ``replace``, ``reverse``, ``lower``/``upper``, slices;
- ``text``: the literal text the template outputs (comments are not in the tree, so never matched).

Fail closed: a template that does not parse, nests too deeply, is longer than ``limits.TEMPLATE_CHARS``
or builds constants larger than the folding budget is ``unscanned_content`` (high): the tree we could
not build is code we could not check, and other engines (llama.cpp's minja, older Jinja) may accept it.
What it cannot see: names that only exist at render time (a key taken from the messages); the sandbox
transformers renders in is the defence there.

Written here rather than taken from a library because no maintained package checks Jinja ASTs for
sandbox escapes; the parsing itself is Jinja's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from modelcensus.audit import limits
from modelcensus.audit.flags import Flag
from modelcensus.untrusted import load_yaml

FOLD_CHARS = 4_000_000      # characters of folded constants per template, all expressions together
FOLD_ONE = 200_000          # characters of one folded constant
_STRING_FILTERS: dict[str, Callable[[str], str]] = {
    "lower": str.lower, "upper": str.upper, "string": str, "trim": str.strip, "reverse": lambda s: s[::-1],
    "capitalize": str.capitalize, "title": str.title}
_STRING_METHODS = {"lower", "upper", "strip", "lstrip", "rstrip", "capitalize", "title", "swapcase", "casefold"}
_ATTRIBUTE_FILTERS = {"map", "selectattr", "rejectattr", "sort", "groupby", "sum", "unique", "min", "max"}
_PLAIN_PERCENT = re.compile(r"%%|%[-#0 +]*[sdicrxXoaeEfFgG]")  # conversions without width or precision
_PLAIN_FIELD = re.compile(r"\{\d*\}")  # {} or {0}: str.format fields without attribute, index or spec


class Match(BaseModel):
    """Where a rule looks; at least one channel."""

    model_config = ConfigDict(extra="forbid")
    nodes: list[str] = Field(default_factory=list)
    filters: list[str] = Field(default_factory=list)
    names: re.Pattern[str] | None = None
    calls: re.Pattern[str] | None = None
    strings: re.Pattern[str] | None = None
    text: re.Pattern[str] | None = None

    @field_validator("nodes")
    @classmethod
    def _known_nodes(cls, v: list[str]) -> list[str]:
        from jinja2 import nodes

        bad = [n for n in v if not (isinstance(getattr(nodes, n, None), type) and issubclass(getattr(nodes, n),
                                                                                            nodes.Node))]
        if bad:
            raise ValueError(f"not Jinja node types: {bad}")
        return v

    @model_validator(mode="after")
    def _some_channel(self) -> Match:
        if not (self.nodes or self.filters or self.names or self.calls or self.strings or self.text):
            raise ValueError("a rule must match something")
        return self


class TemplateRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    severity: Literal["high", "medium", "low", "info"]
    why: str = Field(min_length=10)
    evidence: str = Field(min_length=10)
    match: Match


class TemplateRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Literal[2]
    max_chars: int = Field(gt=0)
    calibration: str = Field(min_length=10)
    rules: list[TemplateRule]

    @field_validator("rules")
    @classmethod
    def _unique(cls, v: list[TemplateRule]) -> list[TemplateRule]:
        ids = [r.id for r in v]
        if len(ids) != len(set(ids)):
            raise ValueError(f"rule ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
        return v


@lru_cache(maxsize=1)
def load_rules() -> TemplateRules:
    """The package's template rules, schema-checked."""
    text = resources.files("modelcensus.audit").joinpath("data/template_rules.yaml").read_text("utf-8")
    return TemplateRules.model_validate(load_yaml(text, what="audit/data/template_rules.yaml"))


@lru_cache(maxsize=1)
def _environment() -> Any:
    """A sandboxed environment parsing what transformers' renderer parses (never used to render)."""
    from jinja2 import nodes
    from jinja2.ext import Extension, loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Generation(Extension):
        """transformers' ``{% generation %}...{% endgeneration %}`` block (AssistantTracker)."""

        tags = {"generation"}

        def parse(self, parser: Any) -> Any:
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
            return nodes.Scope(body).set_lineno(lineno)

    return ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                         extensions=[loopcontrols, "jinja2.ext.do", Generation])


class _Overflow(Exception):
    pass


class _Facts:
    """What one template's tree holds, channel by channel."""

    def __init__(self) -> None:
        self.nodes: set[str] = set()
        self.filters: set[str] = set()
        self.names: set[str] = set()
        self.calls: set[str] = set()
        self.strings: list[str] = []
        self.text: list[str] = []
        self.folded: dict[int, Any] = {}
        self.fold_chars = 0
        self.bindings: dict[str, Any] = {}            # names set once to a constant, from the first pass
        self.assigned: dict[str, set[Any]] = {}       # every constant each name is set to

    def keep(self, value: Any) -> Any:
        if isinstance(value, str):
            if len(value) > FOLD_ONE:
                raise _Overflow(f"a constant of {len(value):,} characters")
            self.fold_chars += len(value)
            if self.fold_chars > FOLD_CHARS:
                raise _Overflow(f"more than {FOLD_CHARS:,} characters of constants")
        return value


def _const(f: _Facts, node: Any) -> Any:
    return f.folded.get(id(node))


def _fold(f: _Facts, node: Any) -> Any:
    """The constant value of ``node`` from its children's (already folded) values, or None."""
    from jinja2 import nodes as n

    k = type(node)
    if k is n.Const:
        return node.value if isinstance(node.value, str | int | float | bool) else None
    if k is n.TemplateData:
        return node.data
    if k is n.Name:
        return f.bindings.get(node.name) if node.ctx == "load" else None
    if k is n.Output:
        parts = [_const(f, x) for x in node.nodes]
        return "".join(str(p) for p in parts) if all(isinstance(p, str | int | float) for p in parts) else None
    if k in (n.List, n.Tuple):
        items = [_const(f, x) for x in node.items]
        return tuple(items) if all(i is not None for i in items) else None
    if k is n.Concat:
        parts = [_const(f, x) for x in node.nodes]
        if all(isinstance(p, str | int | float) for p in parts):
            return "".join(str(p) for p in parts)
        return None
    if k in (n.Add, n.Sub, n.Mul, n.Mod):
        a, b = _const(f, node.left), _const(f, node.right)
        return _binary(k.__name__, a, b)
    if k is n.Neg:
        v = _const(f, node.node)
        return -v if isinstance(v, int) and not isinstance(v, bool) else None
    if k is n.Getitem:
        return _item(_const(f, node.node), node.arg, f)
    if k is n.Filter:
        return _filter(f, node)
    if k is n.Call and type(node.node) is n.Getattr:
        return _method(_const(f, node.node.node), node.node.attr, [_const(f, a) for a in node.args])
    return None


def _binary(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if op == "Add" and isinstance(a, str) and isinstance(b, str):
        return a + b
    if op in ("Add", "Sub", "Mul") and all(isinstance(x, int) and not isinstance(x, bool) for x in (a, b)):
        v = a + b if op == "Add" else a - b if op == "Sub" else a * b
        return v if abs(v) < 10**9 else None
    if op == "Mul" and isinstance(a, str) != isinstance(b, str) and isinstance(a if isinstance(b, str) else b, int):
        s, times = (a, b) if isinstance(a, str) else (b, a)
        if len(s) * max(times, 0) > FOLD_ONE:
            raise _Overflow(f"a constant repeated {times:,} times")
        return s * times
    if op == "Mod" and isinstance(a, str):
        return _percent(a, b)
    return None


def _percent(fmt: str, args: Any) -> str | None:
    """``fmt % args`` when no flag, width or precision could blow it up."""
    if "%" in _PLAIN_PERCENT.sub("", fmt):
        return None
    try:
        return fmt % (args if isinstance(args, tuple) else (args,))
    except (TypeError, ValueError, OverflowError):
        return None


def _item(value: Any, arg: Any, f: _Facts) -> Any:
    from jinja2 import nodes as n

    if not isinstance(value, str | tuple):
        return None
    if type(arg) is n.Slice:
        parts = [_const(f, x) if x is not None else None for x in (arg.start, arg.stop, arg.step)]
        if any(x is not None and not isinstance(x, int) for x in parts) or parts[2] == 0:
            return None
        return value[slice(*parts)]
    i = _const(f, arg)
    if isinstance(i, int) and not isinstance(i, bool) and -len(value) <= i < len(value):
        return value[i]
    return None


def _filter(f: _Facts, node: Any) -> Any:
    v = _const(f, node.node) if node.node is not None else None
    args = [_const(f, a) for a in node.args]
    if v is None or any(a is None for a in args):
        return None
    name = node.name
    if name in _STRING_FILTERS and isinstance(v, str) and not args:
        return _STRING_FILTERS[name](v)
    if name == "reverse" and isinstance(v, tuple):
        return v[::-1]
    if name == "join" and isinstance(v, tuple) and all(isinstance(x, str | int | float) for x in v):
        sep = args[0] if args and isinstance(args[0], str) else ""
        return sep.join(str(x) for x in v)
    if name in ("first", "last") and isinstance(v, str | tuple) and v:
        return v[0] if name == "first" else v[-1]
    if name == "replace" and isinstance(v, str) and len(args) in (2, 3) and all(isinstance(a, str) for a in args[:2]):
        return _method(v, "replace", args[:2])
    if name == "format" and isinstance(v, str):
        return _percent(v, tuple(args))
    return None


def _method(obj: Any, name: str, args: list[Any]) -> Any:
    if not isinstance(obj, str) or any(a is None for a in args):
        return None
    if name in _STRING_METHODS and not args:
        return getattr(obj, name)()
    if name == "join" and len(args) == 1 and isinstance(args[0], tuple) and all(isinstance(x, str) for x in args[0]):
        return obj.join(args[0])
    if name == "replace" and len(args) == 2 and all(isinstance(a, str) for a in args):
        old, new = args
        if (obj.count(old) if old else len(obj) + 1) * len(new) + len(obj) > FOLD_ONE:
            raise _Overflow("a replace() that grows a constant")
        return obj.replace(old, new)
    plain = not set(_PLAIN_FIELD.sub("", obj)) & {"{", "}"}
    if name == "format" and plain and all(isinstance(a, str | int) for a in args):
        try:
            return obj.format(*args)
        except (IndexError, KeyError, ValueError):
            return None
    return None


def _record(f: _Facts, node: Any) -> None:
    """Channels of one node (its children are folded already)."""
    from jinja2 import nodes as n

    k = type(node)
    f.nodes.add(k.__name__)
    if k is n.TemplateData:
        f.text.append(node.data)
    elif k in (n.Name, n.NSRef):
        f.names.add(node.name)
        if k is n.NSRef:
            f.names.add(node.attr)
    elif k is n.Getattr:
        f.names.add(node.attr)
    elif k is n.Keyword:
        f.names.add(node.key)
    elif k in (n.Macro, n.Block):
        f.names.add(node.name)
    elif k is n.Getitem:
        key = _const(f, node.arg)
        if isinstance(key, str):
            f.names.add(key)
    elif k is n.Call:
        callee = node.node
        f.calls.add(callee.name if type(callee) is n.Name else callee.attr if type(callee) is n.Getattr else "?")
    elif k in (n.Filter, n.Test):
        f.filters.add(node.name)
        first = _const(f, node.args[0]) if node.args else None
        if node.name == "attr" and isinstance(first, str):
            f.names.add(first)
        if node.name in _ATTRIBUTE_FILTERS - {"map"} and isinstance(first, str):
            f.names.update(first.split("."))  # selectattr("a.b"), sort("a"): attribute paths
        if node.name in ("map", "select", "reject") and isinstance(first, str):
            f.filters.add(first)  # |map("attr", x) applies the attr filter
            if first == "attr" and len(node.args) > 1 and isinstance(_const(f, node.args[1]), str):
                f.names.add(_const(f, node.args[1]))
        for kw in node.kwargs:
            if kw.key == "attribute" and node.name in _ATTRIBUTE_FILTERS and isinstance(_const(f, kw.value), str):
                f.names.update(str(_const(f, kw.value)).split("."))
    elif k is n.FilterBlock:
        f.filters.add(node.filter.name)
    elif k is n.Assign and type(node.target) is n.Name:
        f.assigned.setdefault(node.target.name, set()).add(_const(f, node.node))
    elif k is n.AssignBlock and type(node.target) is n.Name:
        parts = [_const(f, x) for x in node.body]
        value = "".join(parts) if all(isinstance(p, str) for p in parts) and node.filter is None else None
        f.assigned.setdefault(node.target.name, set()).add(value)
    elif k is n.For and type(node.target) is n.Name:
        f.assigned.setdefault(node.target.name, set()).add(None)  # a loop variable has many values
    value = f.folded.get(id(node)) if k not in (n.TemplateData, n.Output) else None  # output text: ``text``
    if isinstance(value, str):
        f.strings.append(value)
    elif isinstance(value, tuple):
        f.strings += [x for x in value if isinstance(x, str)]


def _facts(tree: Any) -> _Facts:
    """Two passes: the first finds names set exactly once to a constant (``{% set a = "__cla" %}``), the
    second folds with them bound, so ``x|attr(a ~ b)`` is judged on the value it will have."""
    first = _pass(tree, {})
    bound = {k: next(iter(v)) for k, v in first.assigned.items() if len(v) == 1 and None not in v}
    return _pass(tree, bound) if bound else first


def _pass(tree: Any, bindings: dict[str, Any]) -> _Facts:
    """Every node once, children before parents (no recursion: ``a + b + ... + z`` nests 10,000 deep)."""
    f = _Facts()
    f.bindings = bindings
    order, stack = [], [(tree, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in node.iter_child_nodes())
    for node in order:
        value = _fold(f, node)
        if value is not None:
            f.folded[id(node)] = f.keep(value)
        _record(f, node)
    return f


def _hits(rule: TemplateRule, f: _Facts) -> str | None:
    """Evidence that ``rule`` matches, or None."""
    m = rule.match
    for node in m.nodes:
        if node in f.nodes:
            return f"{node} statement"
    for name in m.filters:
        if name in f.filters:
            return f"|{name}"
    for pattern, values in ((m.names, sorted(f.names)), (m.calls, sorted(f.calls)), (m.strings, f.strings),
                            (m.text, f.text)):
        if pattern is None:
            continue
        for v in values:
            hit = pattern.search(v)
            if hit:
                return v[max(0, hit.start() - 30): hit.end() + 30].replace("\n", " ")
    return None


def _unscanned(where: str, why: str) -> Flag:
    from modelcensus.audit.flags import make_flag

    return make_flag("unscanned_content", f"chat template ({where}) not checked: {why}")


def check_template(template: str, where: str = "chat template") -> list[Flag]:
    """Flags of one template: rule matches on its syntax tree, or ``unscanned_content`` when it cannot be
    checked. Never renders it."""
    from jinja2 import TemplateError

    rules = load_rules()
    out: list[Flag] = []
    if len(template) > rules.max_chars:
        out.append(Flag("template_too_long", "medium", f"chat template ({where}) is {len(template):,} characters "
                        f"(ordinary ones are < {rules.max_chars:,})"))
    if len(template) > limits.TEMPLATE_CHARS:
        return [*out, _unscanned(where, f"{len(template):,} characters, over the {limits.TEMPLATE_CHARS:,} "
                                        "parsed")]
    try:
        tree = _environment().parse(template)
        facts = _facts(tree)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        return [*out, _unscanned(where, f"Jinja cannot parse it ({str(exc.message or exc)[:160]}"
                                        f"{f', line {line}' if line else ''})")]
    except RecursionError:
        return [*out, _unscanned(where, "nested too deeply to parse")]
    except _Overflow as exc:
        return [*out, _unscanned(where, f"its constant expressions are too large to fold ({exc})")]
    for rule in rules.rules:
        evidence = _hits(rule, facts)
        if evidence is not None:
            out.append(Flag(f"template_{rule.id}", rule.severity, f"chat template ({where}): {rule.why}", evidence))
    return out


def template_flags(templates: str | list[tuple[str, str]] | None) -> list[Flag]:
    """Flags of every template a model ships (each checked on its own: joining them would let a
    ``{% raw %}`` in one hide the next)."""
    if not templates:
        return []
    if isinstance(templates, str):
        templates = [("chat template", templates)]
    out: list[Flag] = []
    for where, text in templates:
        if text:
            out += check_template(text, where)
    return out
