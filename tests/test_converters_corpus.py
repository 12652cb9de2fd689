"""source.to_gast and codegen.to_ast against gast's own converters (ast_to_gast,
gast_to_ast) on real code (the standard library and the installed packages) and on
random trees: the same classes, fields, field order, locations and attribute order
from to_gast; the same tree but the locations from to_ast (it leaves them out: the
printer numbers the statements itself), which compiles to the same code.

A sample of the files runs by default; SRCGRAD_FULL_CORPUS=1 runs every file (minutes).
"""
import ast
import copy
import glob
import os
import random
import sys
import types
import warnings
import zlib

import gast
import pytest

from srcgrad import codegen
from srcgrad.source import to_gast
from srcgrad.transforms.syntax import comment

# random trees are valid syntax, not meaningful code (`1.0()`): CPython warns
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

_LOCATION = ("lineno", "col_offset", "end_lineno", "end_col_offset")
# From 3.13 an `ast` constructor fills the fields it is not given, in an order of its
# own: what gast_to_ast makes (with its constructor) and to_ast (filling __dict__)
# then differ in the order of __dict__ only, which nothing reads (dump, compile and
# astor go by _fields)
_AST_ORDERED = sys.version_info < (3, 13)


def _difference(a, b, path="tree", ordered=True):
    """Where trees `a` and `b` differ (class, the fields and attributes present and,
    if `ordered`, their order, values), or None."""
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            found = _difference(x, y, f"{path}[{i}]", ordered)
            if found:
                return found
        return None
    if isinstance(a, ast.AST):
        keys, other = list(a.__dict__), list(b.__dict__)
        if keys != other if ordered else sorted(keys) != sorted(other):
            return f"{path}: {keys} != {other}"
        for key in keys:
            found = _difference(a.__dict__[key], b.__dict__[key], f"{path}.{key}", ordered)
            if found:
                return found
        return None
    if a == b or (a != a and b != b):  # (nan)
        return None
    return f"{path}: {a!r} != {b!r}"


def _unlocated(tree):
    for node in ast.walk(tree):
        for attr in _LOCATION:
            if attr in node._attributes:  # (a TypeIgnore's lineno is a field)
                node.__dict__.pop(attr, None)
    return tree


def _gast_comment(text):
    """What gast_to_ast makes of a comment statement (the corpus has none; random
    trees do): to_ast is then compared on every other node."""
    return _unlocated(gast.gast_to_ast(comment(text)))


def _code_difference(a, b, path="code"):
    for field in ("co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars",
                  "co_flags", "co_argcount", "co_kwonlyargcount"):
        if getattr(a, field) != getattr(b, field):
            return f"{path}.{field}"
    if len(a.co_consts) != len(b.co_consts):
        return f"{path}.co_consts"
    for x, y in zip(a.co_consts, b.co_consts):
        if isinstance(x, types.CodeType) and isinstance(y, types.CodeType):
            found = _code_difference(x, y, f"{path}.{x.co_name}")
            if found:
                return found
        elif type(x) is not type(y) or repr(x) != repr(y):
            return f"{path}.co_consts: {x!r} != {y!r}"
    return None


def _compiled(tree):
    try:
        mode = {ast.Expression: "eval", ast.Interactive: "single"}.get(type(tree), "exec")
        return compile(ast.fix_missing_locations(tree), "<tree>", mode)
    except (SyntaxError, ValueError, TypeError, SystemError) as exc:  # (random trees)
        return f"{type(exc).__name__}: {exc}"


def differences(tree, compiled=False):
    """How to_gast(`tree`) differs from gast.ast_to_gast(`tree`), and to_ast of that
    from gast.gast_to_ast of it (and, if `compiled`, their code objects)."""
    out = []
    expected = gast.ast_to_gast(tree)
    found = _difference(expected, to_gast(tree))
    if found:
        out.append("to_gast " + found)
    before = gast.dump(expected, include_attributes=True)
    out += _to_ast_differences(expected, compiled)
    if gast.dump(expected, include_attributes=True) != before:
        out.append("to_ast changed its input")
    return out


def _to_ast_differences(tree, compiled=False):
    out = []
    mine = codegen.to_ast(tree, _gast_comment, set())
    if any(attr in node.__dict__ for node in ast.walk(mine) for attr in node._attributes):
        out.append("to_ast gave a location")
    expected = _unlocated(gast.gast_to_ast(tree))
    found = _difference(expected, mine, ordered=_AST_ORDERED)
    if found:
        out.append("to_ast " + found)
    if ast.dump(expected) != ast.dump(mine):
        out.append("to_ast dump")
    if compiled and not found:
        a, b = _compiled(expected), _compiled(mine)
        if isinstance(a, str) or isinstance(b, str):
            if a != b or not isinstance(tree, gast.Module):
                out.append(f"compile: {a} / {b}")
        else:
            found = _code_difference(a, b)
            if found:
                out.append("compile " + found)
    return out


def corpus():
    """The .py files of the standard library (its tests too) and site-packages."""
    roots = [os.path.dirname(ast.__file__)]
    roots += sorted({p for p in sys.path if p.endswith("site-packages")})
    seen = set()
    for root in roots:
        for path in sorted(glob.glob(os.path.join(root, "**", "*.py"), recursive=True)):
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                yield path


def parsed(path):
    try:
        with open(path, "rb") as fh:
            text = fh.read()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OSError):
        return None  # (files written for another Python, or to be invalid)


def _sample(size_limit=20_000, every=100):
    # every 100th file by a hash of its name (the same sample on every run), and
    # test_grammar / test_patma / test_except_star, which hold the rare constructs
    rare = ("test_grammar.py", "test_patma.py", "test_except_star.py", "test_coroutines.py")
    for path in corpus():
        name = os.path.basename(path)
        if name in rare and "site-packages" not in path:
            yield path
        elif zlib.crc32(path.encode()) % every == 0 and os.path.getsize(path) < size_limit:
            yield path


def _check_files(paths, compile_every):
    checked, failures = 0, []
    for i, path in enumerate(paths):
        tree = parsed(path)
        if tree is None:
            continue
        checked += 1
        for found in differences(tree, compiled=i % compile_every == 0):
            failures.append(f"{path}: {found}")
    return checked, failures


def test_converters_on_a_sample_of_the_corpus():
    checked, failures = _check_files(_sample(), compile_every=3)
    assert checked > 20  # (~150 here, fewer where fewer packages are installed)
    assert not failures, failures[:10]


@pytest.mark.skipif(not os.environ.get("SRCGRAD_FULL_CORPUS"),
                    reason="minutes: set SRCGRAD_FULL_CORPUS=1")
def test_converters_on_the_whole_corpus():
    checked, failures = _check_files(corpus(), compile_every=5)
    assert checked > 1000
    assert not failures, failures[:10]


def test_converters_with_type_comments():
    # parsed with type_comments=True, the type_comment fields hold text
    src = ("def f(a,  # type: int\n      b):\n    # type: (...) -> None\n"
           "    x = 1  # type: int\n    for i in y:  # type: int\n        pass\n"
           "    with g() as h:  # type: int\n        pass\n")
    tree = ast.parse(src + "z = 2  # type: ignore[misc]\n", type_comments=True)
    assert tree.body[0].type_comment and tree.type_ignores
    assert not differences(tree, compiled=True)


@pytest.mark.parametrize("src, mode", [("x + 1 if y else -z", "eval"),
                                       ("for i in x: print(i)\n", "single"),
                                       ("(int, *str) -> None", "func_type")])
def test_converters_on_other_modes_of_parse(src, mode):
    tree = ast.parse(src, mode=mode)
    assert not differences(tree, compiled=mode != "func_type")


# -- random trees --

def _mutated(tree, rng):
    """`tree` with a few fields set as a transform could set them by hand: an optional
    field or a location left out, a node's child None, a list emptied, a leaf shared by two
    parents, a Name's ctx None or Param, a type comment given."""
    nodes = list(ast.walk(tree))
    for _ in range(rng.randrange(1, 4)):
        node = rng.choice(nodes)
        fields = list(node._fields) + list(node._attributes)
        if not fields:
            continue
        field = rng.choice(fields)
        value = getattr(node, field, None)
        if isinstance(value, (str, int)) and field not in _LOCATION:
            continue  # identifiers and flags are left as they are
        if field == "value" and isinstance(node, (ast.Constant, gast.Constant)):
            continue  # (ast.NodeVisitor.visit_Constant, which gast uses, reads it)
        kind = rng.randrange(7)
        if kind == 0 and (value is None or field in _LOCATION):
            node.__dict__.pop(field, None)  # an optional field or a location never set
        elif kind == 1 and not isinstance(value, list):
            setattr(node, field, None)
        elif kind == 2 and isinstance(value, list):
            setattr(node, field, [])
        elif kind == 3 and isinstance(value, (ast.AST, type(None))) \
                and field not in _LOCATION and field != "type_comment":
            leaves = [n for n in nodes if n is not node and not list(ast.iter_child_nodes(n))]
            if leaves:
                setattr(node, field, rng.choice(leaves))
        elif kind == 4:
            node.extra = 1  # an attribute no class declares
        elif kind == 5 and isinstance(node, (ast.Name, gast.Name)):
            node.ctx = rng.choice([None, (gast if isinstance(node, gast.AST) else ast).Param()])
        elif kind == 6 and hasattr(node, "type_comment"):
            node.type_comment = "int"
    return tree


def _outcome(convert, tree):
    try:
        return convert(tree), None
    except Exception as exc:  # noqa: BLE001 (compared: both must fail alike)
        return None, type(exc)


def _mutation_differences(statement, rng):
    out = []
    tree = _mutated(copy.deepcopy(statement), rng)
    (expected, e1), (mine, e2) = _outcome(gast.ast_to_gast, tree), _outcome(to_gast, tree)
    if e1 or e2:
        if e1 is not e2:
            out.append(f"to_gast raised {e2}, gast {e1}")
    else:
        found = _difference(expected, mine)
        if found:
            out.append("to_gast " + found)
    tree = _mutated(gast.ast_to_gast(statement), rng)
    (expected, e1) = _outcome(gast.gast_to_ast, tree)
    (mine, e2) = _outcome(lambda t: codegen.to_ast(t, _gast_comment, set()), tree)
    if e1 or e2:
        if e1 is not e2:
            out.append(f"to_ast raised {e2}, gast {e1}")
    else:
        found = _difference(_unlocated(expected), mine, ordered=_AST_ORDERED)
        if found:
            out.append("to_ast " + found)
    return out


def _statements_of(names):
    root = os.path.join(os.path.dirname(ast.__file__), "test")
    out = []
    for name in names:
        tree = parsed(os.path.join(root, name))
        if tree is not None:
            out += [s for s in ast.walk(tree) if isinstance(s, ast.stmt)]
    return out


@pytest.mark.parametrize("seed", range(4))
def test_converters_on_mutated_trees(seed):
    statements = _statements_of(["test_grammar.py", "test_patma.py", "test_except_star.py"])
    assert statements
    rng = random.Random(seed)
    failures = []
    for _ in range(300):
        statement = rng.choice(statements)
        failures += [(ast.dump(statement)[:200], d)
                     for d in _mutation_differences(statement, rng)]
    assert not failures, failures[:5]


@pytest.mark.parametrize("seed", range(10))
def test_converters_on_random_statements(seed):
    # the printer's random gast statements (comments too) and, parsed back from
    # their text, the `ast` tree of the same code
    import test_printer
    rng = random.Random(seed)
    for _ in range(20):
        body = test_printer._statements(rng, 3, rng.randrange(1, 6))
        module = gast.Module(body=body, type_ignores=[])
        assert not _to_ast_differences(module, compiled=True)
        text = ast.unparse(ast.fix_missing_locations(gast.gast_to_ast(module)))
        try:
            tree = ast.parse(text)
        except SyntaxError:  # (e.g. a tuple augmented: a tree no parse gives)
            continue
        assert not differences(tree, compiled=True), text


# -- what differed, fixed --

def test_a_location_that_is_none_is_copied_as_gast_copies_it():
    # gast copies a Name's, arg's and ExceptHandler's location with ast.copy_location,
    # which skips a line or column that is None, and a def's with its own, which
    # keeps it; to_gast copied None for all of them
    tree = ast.parse("def f(a):\n    try:\n        pass\n    except E as e:\n"
                     "        return a\n")
    fn = tree.body[0]
    handler = fn.body[0].handlers[0]
    for node in (fn, fn.args.args[0], handler, handler.body[0].value):
        node.lineno = None
        node.col_offset = None
        node.end_col_offset = None
    assert _difference(gast.ast_to_gast(tree), to_gast(tree)) is None
    converted = to_gast(tree).body[0]
    assert "lineno" not in converted.args.args[0].__dict__
    assert converted.args.args[0].end_col_offset is None
    assert "lineno" in converted.__dict__ and converted.lineno is None


def test_a_name_whose_ctx_is_none_converts_as_gast_converts_it():
    # gast's converters keep a Name's ctx None; to_gast and to_ast raised
    # AttributeError (a node made by hand without a context)
    tree = ast.parse("x = y")
    tree.body[0].value.ctx = None
    assert _difference(gast.ast_to_gast(tree), to_gast(tree)) is None
    assert to_gast(tree).body[0].value.ctx is None
    g = gast.parse("x = y")
    g.body[0].value.ctx = None
    assert not _to_ast_differences(g)
    assert codegen.to_ast(g, _gast_comment).body[0].value.ctx is None


@pytest.mark.skipif(sys.version_info < (3, 12), reason="type parameters: Python 3.12+")
def test_type_parameters_convert_without_locations_and_their_loads_are_collected():
    # to_ast handed them to gast_to_ast: the nodes kept their locations and the names
    # a bound reads were missing from `loads`
    tree = gast.parse("def f[T: Bound, *Ts, **P](x): pass\nclass C[U: (A, B)]: pass\n")
    assert not _to_ast_differences(tree, compiled=True)
    loads = set()
    codegen.to_ast(tree, _gast_comment, loads)
    assert {"Bound", "A", "B"} <= loads
