"""Static policy: an AST allow-list run before any code is compiled or executed.

It is the first and friendliest layer (every violation is reported with its line), not
the only one: the runtime guards enforce the same allow-lists again in the child.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import unicodedata
import warnings
from collections.abc import Iterator

from vt_sandbox.allowlist import (
    ALL_ATTRIBUTE_NAMES,
    ALLOWED_MODULES,
    FORBIDDEN_NAMES,
    INDICATORS_MODULE,
    MODULE_ATTRS,
    SAFE_BUILTIN_NAMES,
)
from vt_sandbox.errors import SandboxReport, SandboxViolation

MAX_SOURCE_BYTES = 64 * 1024
MAX_AST_NODES = 50_000
ENTRY_POINT = "generate_signals"

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Module,
    ast.FunctionDef,
    ast.arguments,
    ast.arg,
    ast.Return,
    ast.Assign,
    ast.AugAssign,
    ast.For,
    ast.While,
    ast.If,
    ast.Expr,
    ast.Pass,
    ast.Break,
    ast.Continue,
    ast.Import,
    ast.ImportFrom,
    ast.alias,
    ast.Assert,
    ast.Raise,
    ast.Delete,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Lambda,
    ast.IfExp,
    ast.Dict,
    ast.Set,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.comprehension,
    ast.Compare,
    ast.Call,
    ast.keyword,
    ast.Constant,
    ast.Attribute,
    ast.Subscript,
    ast.Starred,
    ast.Name,
    ast.List,
    ast.Tuple,
    ast.Slice,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.expr_context,
    ast.boolop,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
)

# Friendlier messages for the constructs people (or models) are most likely to try.
_NODE_MESSAGES: dict[type[ast.AST], str] = {
    ast.ClassDef: "class definitions are not allowed; use functions",
    ast.AsyncFunctionDef: "async functions are not allowed",
    ast.Await: "await is not allowed",
    ast.AsyncFor: "async for is not allowed",
    ast.AsyncWith: "async with is not allowed",
    ast.Yield: "generators (yield) are not allowed; build and return a list",
    ast.YieldFrom: "generators (yield from) are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed; use a list comprehension [...]",
    ast.Try: "try/except is not allowed; validate inputs with if-statements instead",
    ast.TryStar: "try/except* is not allowed",
    ast.With: "with-statements are not allowed",
    ast.Global: "global is not allowed; pass values as arguments",
    ast.Nonlocal: "nonlocal is not allowed",
    ast.Match: "match statements are not allowed; use if/elif",
    ast.NamedExpr: "the walrus operator := is not allowed",
    ast.AnnAssign: "annotated assignments are not allowed; drop the type annotation",
}

_LINE_RE = re.compile(r"[Ll]ine (\d+)")


def check_code(source: str) -> SandboxReport:
    """Check strategy source against the static policy (no code is executed).

    Returns a report listing every violation with its line; ``report.ok`` is True when
    the code may be handed to :func:`vt_sandbox.run_strategy`.
    """
    return static_report(source, with_restricted_python=True)


def static_report(source: str, *, with_restricted_python: bool) -> SandboxReport:
    """:func:`check_code`, optionally without the RestrictedPython compile pass."""
    if not isinstance(source, str):
        return _report([_v(0, 0, "bad_source", "source must be a str")])
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_SOURCE_BYTES:
        return _report(
            [_v(1, 0, "too_large", f"source is {size:,} bytes; the limit is {MAX_SOURCE_BYTES:,}")]
        )
    if "\x00" in source:
        return _report([_v(1, 0, "syntax_error", "source contains a NUL byte")])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename="<strategy>", mode="exec")
    except SyntaxError as exc:
        return _report(
            [_v(exc.lineno or 1, exc.offset or 0, "syntax_error", f"syntax error: {exc.msg}")]
        )
    except (RecursionError, MemoryError, ValueError):
        return _report([_v(1, 0, "too_complex", "source is nested too deeply to analyse")])

    violations = list(_check_identifiers(source))
    violations.extend(_PolicyChecker(tree).run())
    if not violations and with_restricted_python:
        violations.extend(_restricted_python_errors(source))
    violations.sort(key=lambda v: (v.line, v.col, v.code))
    return _report(violations)


def imports_indicators(source: str) -> bool:
    """True if the (already checked) source imports the indicator library."""
    return "vt_engine" in source


def _report(violations: list[SandboxViolation]) -> SandboxReport:
    return SandboxReport(violations=violations)


def _v(line: int, col: int, code: str, message: str) -> SandboxViolation:
    return SandboxViolation(line=line, col=col, code=code, message=message)


def _check_identifiers(source: str) -> Iterator[SandboxViolation]:
    # Python NFKC-normalises identifiers, so "ｅｖａｌ" *is* eval in the AST; refuse
    # non-ASCII identifiers outright so nobody has to reason about look-alikes.
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NAME and not tok.string.isascii():
                normal = unicodedata.normalize("NFKC", tok.string)
                yield _v(
                    tok.start[0],
                    tok.start[1],
                    "non_ascii_identifier",
                    f"identifier {tok.string!r} uses non-ASCII characters "
                    f"(Python reads it as {normal!r}); use plain ASCII names",
                )
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return


def _restricted_python_errors(source: str) -> Iterator[SandboxViolation]:
    # Import lazily: the static checker is used by the AI worker too.
    from RestrictedPython.compile import compile_restricted_exec

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compile_restricted_exec(source, filename="<strategy>")
    for err in result.errors:
        match = _LINE_RE.search(err)
        line = int(match.group(1)) if match else 1
        yield _v(line, 0, "restricted_python", err)


class _PolicyChecker:
    """Walks the AST iteratively (no recursion on untrusted nesting depth)."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.violations: list[SandboxViolation] = []
        self.bound: set[str] = set()
        # alias -> module it refers to, for precise attribute checks
        self.module_aliases: dict[str, str] = {}

    def add(self, node: ast.AST, code: str, message: str) -> None:
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0)
        self.violations.append(_v(line, col, code, message))

    def run(self) -> list[SandboxViolation]:
        nodes = list(ast.walk(self.tree))
        if len(nodes) > MAX_AST_NODES:
            self.add(self.tree, "too_large", f"code has more than {MAX_AST_NODES:,} AST nodes")
            return self.violations
        self._collect_bindings(nodes)
        for node in nodes:
            self._check_node(node)
        self._check_entry_point()
        return self.violations

    # -- bindings ---------------------------------------------------------------
    def _collect_bindings(self, nodes: list[ast.AST]) -> None:
        for node in nodes:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.bound.add(node.id)
            elif isinstance(node, ast.arg):
                self.bound.add(node.arg)
            elif isinstance(node, ast.FunctionDef):
                self.bound.add(node.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.bound.add(alias.asname)
                        self.module_aliases[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.bound.add(top)
                        self.module_aliases[top] = top
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    name = alias.asname or alias.name
                    self.bound.add(name)
                    full = f"{node.module}.{alias.name}"
                    if full in ALLOWED_MODULES:
                        self.module_aliases[name] = full

    # -- per node ---------------------------------------------------------------
    def _check_node(self, node: ast.AST) -> None:
        if not isinstance(node, _ALLOWED_NODES):
            message = _NODE_MESSAGES.get(type(node), f"{type(node).__name__} is not allowed")
            self.add(node, "forbidden_syntax", message)
            return
        if isinstance(node, ast.Name):
            self._check_name(node)
        elif isinstance(node, ast.Attribute):
            self._check_attribute(node)
        elif isinstance(node, ast.Constant):
            self._check_constant(node)
        elif isinstance(node, ast.FunctionDef):
            self._check_function(node)
        elif isinstance(node, ast.arg):
            self._check_identifier(node, node.arg)
        elif isinstance(node, ast.Import):
            self._check_import(node)
        elif isinstance(node, ast.ImportFrom):
            self._check_import_from(node)
        elif isinstance(node, ast.comprehension) and node.is_async:
            self.add(node, "forbidden_syntax", "async comprehensions are not allowed")
        elif isinstance(node, ast.Delete):
            self._check_delete(node)
        elif isinstance(node, ast.keyword) and node.arg is not None:
            self._check_identifier(node, node.arg)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            self._check_power(node)

    def _check_power(self, node: ast.BinOp) -> None:
        # Catch the obvious CPU/memory bombs early; computed ones hit the rlimits.
        exponent = node.right
        if isinstance(exponent, ast.BinOp) and isinstance(exponent.op, ast.Pow):
            self.add(node, "huge_power", "nested powers (a ** b ** c) are not allowed")
        elif (
            isinstance(exponent, ast.Constant)
            and isinstance(exponent.value, int | float)
            and not isinstance(exponent.value, bool)
            and abs(exponent.value) > 1000
        ):
            self.add(node, "huge_power", f"exponent {exponent.value} is too large")

    def _check_identifier(self, node: ast.AST, name: str, *, binding: bool = True) -> bool:
        if name.startswith("_"):
            self.add(
                node,
                "underscore_name",
                f"name {name!r} starts with an underscore; those are reserved for the sandbox",
            )
            return False
        # Binding a local called ``open`` or ``type`` (open = data.open) is harmless: the
        # builtin is not there to shadow. Reading one that is never bound is the problem.
        if name in FORBIDDEN_NAMES and (name == "printed" or not binding):
            self.add(node, "forbidden_name", f"{name!r} is not available in strategy code")
            return False
        return True

    def _check_name(self, node: ast.Name) -> None:
        reads_builtin = isinstance(node.ctx, ast.Load) and node.id not in self.bound
        if not self._check_identifier(node, node.id, binding=not reads_builtin):
            return
        if (
            isinstance(node.ctx, ast.Load)
            and node.id not in self.bound
            and node.id not in SAFE_BUILTIN_NAMES
            and node.id != "print"
        ):
            self.add(
                node,
                "unknown_name",
                f"name {node.id!r} is not defined and is not an allowed builtin",
            )

    def _check_attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        if not isinstance(node.ctx, ast.Load):
            self.add(
                node,
                "attribute_write",
                f"assigning or deleting attribute {attr!r} is not allowed; "
                "use item assignment (df['col'] = ...) or a new variable",
            )
        if attr.startswith("_"):
            self.add(node, "underscore_attribute", f"attribute {attr!r} is not allowed")
            return
        module = None
        if isinstance(node.value, ast.Name):
            module = self.module_aliases.get(node.value.id)
        if module == INDICATORS_MODULE:
            return  # any public indicator; the runtime guard checks it is one of ours
        if module is not None:
            allowed = MODULE_ATTRS.get(module, frozenset())
            if attr not in allowed:
                self.add(
                    node,
                    "forbidden_attribute",
                    f"{module}.{attr} is not on the allow-list",
                )
            return
        if attr not in ALL_ATTRIBUTE_NAMES:
            self.add(node, "forbidden_attribute", f"attribute {attr!r} is not on the allow-list")

    def _check_constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, str | bytes):
            text = value if isinstance(value, str) else value.decode("latin-1")
            if "__" in text:
                self.add(
                    node,
                    "dunder_string",
                    "string constants may not contain '__' (double underscore)",
                )

    def _check_function(self, node: ast.FunctionDef) -> None:
        if node.decorator_list:
            self.add(node, "forbidden_syntax", "decorators are not allowed")
        if node.returns is not None:
            self.add(node, "forbidden_syntax", "return annotations are not allowed")
        self._check_identifier(node, node.name)
        args = node.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None and arg.annotation is not None:
                self.add(arg, "forbidden_syntax", "argument annotations are not allowed")

    def _check_delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Subscript):
                continue
            if isinstance(target, ast.Name) and target.id in self.bound:
                continue
            self.add(target, "forbidden_delete", "only variables you defined can be deleted")

    def _check_import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name not in ALLOWED_MODULES:
                self.add(node, "forbidden_import", _import_message(alias.name))

    def _check_import_from(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            self.add(node, "forbidden_import", "relative imports are not allowed")
            return
        for alias in node.names:
            name = alias.name
            if name == "*":
                self.add(node, "forbidden_import", "star imports are not allowed")
            elif name.startswith("_"):
                self.add(node, "forbidden_import", f"cannot import private name {name!r}")
            elif module == "vt_engine" and name == "indicators":
                continue
            elif module == INDICATORS_MODULE:
                continue  # runtime checks the name is a public indicator function
            elif module in MODULE_ATTRS and module != "vt_engine":
                if name not in MODULE_ATTRS[module]:
                    self.add(node, "forbidden_import", f"{module}.{name} is not on the allow-list")
            else:
                self.add(node, "forbidden_import", _import_message(module))

    def _check_entry_point(self) -> None:
        defined = [
            n for n in self.tree.body if isinstance(n, ast.FunctionDef) and n.name == ENTRY_POINT
        ]
        if not defined:
            self.add(
                self.tree,
                "missing_entry_point",
                f"define a top-level function {ENTRY_POINT}(data, params)",
            )


def _import_message(module: str) -> str:
    allowed = ", ".join(sorted(ALLOWED_MODULES))
    return f"import of {module!r} is not allowed; allowed modules: {allowed}"
