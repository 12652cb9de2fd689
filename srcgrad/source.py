"""Source text and syntax tree of a Python function, and how its names resolve.

`get(fn)` returns a `FunctionSource` whose `tree` is a gast.FunctionDef with line and
column numbers that refer to the real file (so errors and comments point at the user's
lines). Lambdas become a FunctionDef whose body is a single `return`.
"""
import __future__
import ast
import inspect
import linecache
import sys
import textwrap
import types
import weakref

import gast

from .errors import SourceUnavailableError
from .treewalk import copy_tree, name_nodes, walk

_module_trees = {}
_code_trees = weakref.WeakKeyDictionary()  # code object -> its verified tree
_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag


class FunctionSource:
    """A function's syntax tree plus what is needed to resolve its free names.

    Invariants: `tree.lineno` etc. are absolute line numbers in `filename`;
    `closure` maps each free variable name to its cell (read live, never copied);
    `tree` is shared by every FunctionSource of the same code object: read it, copy
    it before changing anything.
    """

    def __init__(self, fn, tree, filename, spare=None):
        self.fn = fn
        self.tree = tree
        self.filename = filename
        self.name = tree.name  # an identifier (fn.__name__ may have been set to anything)
        self.globals = fn.__globals__
        code = fn.__code__
        self.closure = dict(zip(code.co_freevars, fn.__closure__ or ()))
        self._names = None
        self._spare = spare  # see working_copy

    def working_copy(self):
        """A copy of `tree` to rewrite, what treewalk.copy_tree(tree) gives. After the
        file was just read, the first call hands over a second conversion of the
        parsed def made then (cheaper than a copy: no memo, no node read twice)."""
        spare, self._spare = self._spare, None
        return spare if spare is not None else copy_tree(self.tree)

    def names(self):
        """(every identifier in `tree`, as naming.Namer.for_tree reserves them: the
        ids of its Name nodes, its def and class names and the names its imports
        bind; the ids of its Name nodes in a Store context), two frozensets found in
        one walk of the tree, kept here (the tree is not changed)."""
        if self._names is None:
            found = name_nodes(self.tree)
            every = {n.id for n in found}
            stored = frozenset(n.id for n in found if isinstance(n.ctx, gast.Store))
            todo = [self.tree]
            while todo:  # the statements: defs, classes and imports are only there
                node = todo.pop()
                if isinstance(node, (gast.FunctionDef, gast.ClassDef)):
                    every.add(node.name)
                elif isinstance(node, (gast.Import, gast.ImportFrom)):
                    for alias in node.names:
                        every.add(alias.asname or alias.name.split(".")[0])
                for field in _BLOCK_FIELDS:
                    block = getattr(node, field, None)
                    if block.__class__ is list:
                        todo.extend(block)
            self._names = frozenset(every), stored
        return self._names

    def resolve(self, name):
        """(found, value) of a free name as seen from inside the function."""
        if name in self.closure:
            try:
                return True, self.closure[name].cell_contents
            except ValueError:  # empty cell: assigned later in the enclosing scope
                return False, None
        if name in self.globals:
            return True, self.globals[name]
        builtins = self.globals.get("__builtins__", __builtins__)
        if isinstance(builtins, dict):
            if name in builtins:
                return True, builtins[name]
        elif hasattr(builtins, name):
            return True, getattr(builtins, name)
        return False, None


def get(fn):
    """The FunctionSource of `fn`, or SourceUnavailableError.

    The source is that of `fn`'s own code object, what a call runs: a decorator's
    wrapper (functools.wraps sets `__wrapped__`) is read as the wrapper, never
    unwrapped. The text must compile to `fn.__code__`: a file edited since it was
    imported is refused rather than differentiated in place of the running code."""
    code = getattr(fn, "__code__", None)
    if code is None:
        raise SourceUnavailableError(
            f"{fn!r} is not a Python function, so srcgrad cannot read its source.",
            hint="Register a derivative for it with @srcgrad.adjoint.")
    filename = code.co_filename
    # A code object's source, once found and checked, is its source for as long as
    # it lives (a file edited later does not change the code that runs): each new
    # specialization of a function would otherwise read and parse it again.
    tree = _code_trees.get(code)
    if tree is not None:
        return FunctionSource(fn, tree, filename)
    linecache.checkcache(filename)  # read the file as it is now, then compare below
    parsed = spare = None
    if code.co_name == "<lambda>":
        tree = _lambda_tree(fn, code, filename)
    else:
        tree, parsed, spare = _def_tree(fn, code, filename)
    _check_current(fn, code, filename, parsed)
    _code_trees[code] = tree
    return FunctionSource(fn, tree, filename, spare)


def forget():
    """Drop the trees kept per code object (srcgrad.clear_cache)."""
    _code_trees.clear()


_module_codes = {}  # (filename, hash of its lines, flags) -> set of code objects


def _file_key(code, filename):
    """(the key of the file's text as linecache holds it now, with the code's future
    flags, and that text's lines)."""
    lines = linecache.getlines(filename)
    return (filename, hash(tuple(lines)), code.co_flags & _FUTURE_FLAGS), lines


def _file_ast(key, lines):
    """The `ast` module of the file's text (parsed with the code's future flags), or
    None when it does not parse. Not kept: a big file's tree would stay alive (and be
    traversed by the collector) for one function's sake."""
    try:
        return compile("".join(lines), key[0], "exec", flags=key[2] | ast.PyCF_ONLY_AST,
                       dont_inherit=True)
    except (SyntaxError, ValueError):
        return None


def _check_current(fn, code, filename, parsed=None):
    """Refuse unless the text linecache holds for `filename` compiles to `code`, so
    the tree srcgrad differentiates is the source of the code that runs. `parsed`:
    (key, module) of the file's text as _def_tree parsed it, compiled rather than the
    text if the text is still the same."""
    key, lines = _file_key(code, filename)
    flags = key[2]
    codes = _module_codes.get(key)
    if codes is None:
        codes = set()
        try:  # from the parsed module when there is one: the same code as from the text
            if parsed is not None and parsed[0] == key and parsed[1] is not None:
                top = compile(parsed[1], filename, "exec", flags=flags, dont_inherit=True)
            else:
                top = compile("".join(lines), filename, "exec", flags=flags,
                              dont_inherit=True)
        except (SyntaxError, ValueError):
            top = None
        stack = [top] if top is not None else []
        while stack:
            c = stack.pop()
            codes.add(c)
            stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        if len(_module_codes) > 256:
            _module_codes.clear()
        _module_codes[key] = codes
    if code in codes:
        return
    if "@py_builtins" in fn.__globals__:
        # pytest rewrote the module's asserts, so its code is not the file's: only
        # check that the file still has this function where the code says
        if any(c.co_name == code.co_name and c.co_firstlineno == code.co_firstlineno
               for c in codes):
            return
    raise SourceUnavailableError(
        f"the source of {fn.__qualname__}() in {filename} is not the code that "
        "runs: the file changed since it was imported",
        filename=filename, lineno=code.co_firstlineno, function=fn.__qualname__,
        hint="Reload the module (importlib.reload, %autoreload, or restart Python) "
             "so the running code matches the file, then differentiate again.")


def _unavailable(fn, filename, lineno):
    return SourceUnavailableError(
        f"cannot find the source of {fn.__qualname__}() (defined at the interactive "
        "prompt, in exec() without linecache, or in a compiled module).",
        filename=filename, lineno=lineno, function=fn.__qualname__,
        hint="Define the function in a .py file, or register its source text in "
             "linecache under the filename it was compiled with.")


def _def_tree(fn, code, filename):
    """(the def's gast tree, (key, the file's parsed module) for _check_current or
    None, a second conversion of the def for FunctionSource.working_copy or None),
    the Nones when the def was read by inspect."""
    # The def is found in the file's parsed module (what _check_current compiles
    # next) by its first line and name: no tokenizing of the file to find the block's
    # end (inspect.getblock) and no second parse; its nodes carry the file's lines
    # and columns as they are.
    key, lines = _file_key(code, filename)
    module = _file_ast(key, lines) if lines else None
    node = _find_def(module, code) if module is not None else None
    if node is not None:
        tree, spare = to_gast(node), to_gast(node)
        tree.decorator_list = []
        spare.decorator_list = []
        return tree, (key, module), spare
    try:  # of the code object: inspect would follow a decorator's __wrapped__
        lines, start = inspect.getsourcelines(code)
    except (OSError, TypeError):
        raise _unavailable(fn, filename, code.co_firstlineno) from None
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    indent = _indent_removed(text, dedented)
    try:
        # parsed after start - 1 empty lines, the nodes get their line numbers in the
        # file (a walk over the tree is then only needed to shift columns)
        module = gast.parse("\n" * (start - 1) + dedented)
    except SyntaxError:
        raise _unavailable(fn, filename, code.co_firstlineno) from None
    defs = [n for n in module.body if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef))]
    if not defs:
        raise _unavailable(fn, filename, code.co_firstlineno)
    tree = defs[0]
    if indent:
        _shift_columns(tree, indent)
    tree.decorator_list = []
    return tree, None, None


def _find_def(module, code):
    """The one def in `module` whose first line (its first decorator's, else its
    own) is the code's first line and whose name is the code's, or None. Only the
    statements whose lines hold that line are entered."""
    line, name = code.co_firstlineno, code.co_name
    found = []
    todo = list(module.body)
    while todo:
        node = todo.pop()
        first = getattr(node, "lineno", None)
        if first is not None:  # (a match case has no lines: entered)
            decorators = getattr(node, "decorator_list", None)
            if decorators:
                first = decorators[0].lineno
            if not first <= line <= node.end_lineno:
                continue
            if first == line and node.__class__ in _DEFS and node.name == name:
                found.append(node)
        for field in _BLOCK_FIELDS:
            block = getattr(node, field, None)
            if block:
                todo.extend(block)
    return found[0] if len(found) == 1 else None


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def to_gast(node):
    """What gast.ast_to_gast(node) returns (the same classes, fields, locations and
    attribute order), without its generic NodeTransformer: a table gives each `ast`
    class its gast class and fields, and nodes are made without calling their
    constructor. For the Pythons whose gast translation it follows (3.10, 3.11);
    gast's own elsewhere."""
    if not (3, 10) <= sys.version_info[:2] < (3, 12):
        return gast.ast_to_gast(node)
    table, learn, new_node, missing = _GAST, _learn_gast, _new_node, _MISSING

    def convert(node):
        entry = table.get(node.__class__)
        if entry is None:
            entry = learn(node.__class__)
        target, fields, attributes, special = entry
        if special is not None:
            return special(node, convert)
        if target is None:  # not a gast node: dropped, as gast does
            return None
        new = new_node(target)
        state = new.__dict__
        for field in fields:
            value = getattr(node, field, missing)
            if value is missing:
                continue
            if value.__class__ is list:
                value = [convert(v) if isinstance(v, _AST) else v for v in value]
            elif isinstance(value, _AST):
                value = convert(value)
            state[field] = value
        for attr in attributes:
            value = getattr(node, attr, missing)
            if value is not missing:
                state[attr] = value
        return new

    out = convert(node)
    convert = None  # it calls itself through its cell: break the cycle
    return out


_AST = ast.AST
_MISSING = object()
_new_node = ast.AST.__new__
_LOCATION = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def _located(new, state, old, nones=False):
    """ast.copy_location(new, old), which gast uses for Name, arg and ExceptHandler:
    a line or column that is None is not copied (an end one is); `nones`:
    gast.copy_location (its FunctionDef and ClassDef), which copies None too.
    (A parsed node has no location that is None: they differ only on trees made
    by hand.)"""
    attributes = new._attributes
    for attr in _LOCATION:
        if attr in attributes:
            value = getattr(old, attr, _MISSING)
            if value is not _MISSING and (value is not None or nones or attr[0] == "e"):
                state[attr] = value
    return new


def _made(cls, **fields):
    new = _new_node(cls)
    new.__dict__.update(fields)
    return new


def _convert_list(values, convert):
    return [convert(v) if isinstance(v, _AST) else v for v in values]


def _convert(value, convert):
    return convert(value) if isinstance(value, _AST) else value


def _gast_name(node, convert):
    # (the commonest node: _made and _located's steps written out)
    new = _new_node(_Name)
    state = new.__dict__
    state["id"] = node.id
    ctx = node.ctx
    context = _CONTEXTS.get(ctx.__class__)  # a context has no fields nor location
    state["ctx"] = _new_node(context) if context is not None else \
        None if ctx is None else convert(ctx)
    state["annotation"] = None
    state["type_comment"] = None
    for attr in _NAME_LOCATION:  # as _located: a line or column None is not copied
        value = getattr(node, attr, _MISSING)
        if value is not _MISSING and (value is not None or attr[0] == "e"):
            state[attr] = value
    return new


_Name = gast.Name
_NAME_LOCATION = tuple(a for a in _LOCATION if a in gast.Name._attributes)
_CONTEXTS = {ast.Load: gast.Load, ast.Store: gast.Store, ast.Del: gast.Del}


def _gast_arg(node, convert):
    new = _made(gast.Name, id=node.arg, ctx=_made(gast.Param),
                annotation=_convert(node.annotation, convert),
                type_comment=node.type_comment)
    return _located(new, new.__dict__, node)


def _gast_except_handler(node, convert):
    if not node.name:
        return _generic_gast(node, convert)
    new = _made(gast.ExceptHandler, type=_convert(node.type, convert),
                name=_made(gast.Name, id=node.name, ctx=_made(gast.Store),
                           annotation=None, type_comment=None),
                body=_convert_list(node.body, convert))
    return _located(new, new.__dict__, node)


def _gast_function_def(node, convert):
    cls = gast.FunctionDef if node.__class__ is ast.FunctionDef else gast.AsyncFunctionDef
    new = _made(cls, name=node.name, args=convert(node.args),
                body=_convert_list(node.body, convert),
                decorator_list=_convert_list(node.decorator_list, convert),
                returns=_convert(node.returns, convert), type_comment=node.type_comment,
                type_params=[])
    return _located(new, new.__dict__, node, nones=True)


def _gast_class_def(node, convert):
    new = _made(gast.ClassDef, name=node.name, bases=_convert_list(node.bases, convert),
                keywords=_convert_list(node.keywords, convert),
                body=_convert_list(node.body, convert),
                decorator_list=_convert_list(node.decorator_list, convert), type_params=[])
    return _located(new, new.__dict__, node, nones=True)


def _generic_gast(node, convert):
    """gast's generic translation of `node` (for the specials that fall back on it)."""
    target, fields, attributes, _ = _learn_gast(node.__class__, generic=True)
    new = _new_node(target)
    state = new.__dict__
    for field in fields:
        value = getattr(node, field, _MISSING)
        if value is not _MISSING:
            state[field] = _convert_list(value, convert) if value.__class__ is list \
                else _convert(value, convert)
    for attr in attributes:
        value = getattr(node, attr, _MISSING)
        if value is not _MISSING:
            state[attr] = value
    return new


_GAST_SPECIAL = {ast.Name: _gast_name, ast.arg: _gast_arg,
                 ast.ExceptHandler: _gast_except_handler,
                 ast.FunctionDef: _gast_function_def,
                 ast.AsyncFunctionDef: _gast_function_def, ast.ClassDef: _gast_class_def}
# ast class -> (gast class or None, fields, attributes, special or None); None (a
# Name's ctx, a def's args set to None by hand) stays None, as gast's _visit keeps it
_GAST = {type(None): (None, (), (), None)}


def _learn_gast(cls, generic=False):
    entry = (getattr(gast, cls.__name__, None), cls._fields, cls._attributes,
             None if generic else _GAST_SPECIAL.get(cls))
    if not generic:
        _GAST[cls] = entry
    return entry


def _indent_removed(text, dedented):
    first = text.splitlines()[0] if text else ""
    first_d = dedented.splitlines()[0] if dedented else ""
    return len(first) - len(first_d)


def _shift_columns(tree, cols):
    for node in walk(tree):
        if getattr(node, "lineno", None) is not None:
            if getattr(node, "col_offset", None) is not None:
                node.col_offset += cols
            if getattr(node, "end_col_offset", None) is not None:
                node.end_col_offset += cols


def _module_tree(filename):
    lines = linecache.getlines(filename)
    if not lines:
        return None
    key = (filename, hash(tuple(lines)))
    tree = _module_trees.get(key)
    if tree is None:
        try:
            tree = gast.parse("".join(lines))
        except SyntaxError:
            return None
        _module_trees[key] = tree
    return tree


def _lambda_tree(fn, code, filename):
    module = _module_tree(filename)
    if module is None:
        raise _unavailable(fn, filename, code.co_firstlineno)
    lambdas = [n for n in walk(module)
               if isinstance(n, gast.Lambda) and n.lineno == code.co_firstlineno]
    argnames = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    lambdas = [n for n in lambdas if _param_names(n.args) == argnames]
    if len(lambdas) > 1:
        lambdas = _by_position(lambdas, code)
    if len(lambdas) != 1:
        raise SourceUnavailableError(
            "cannot tell which lambda on this line is being differentiated.",
            filename=filename, lineno=code.co_firstlineno,
            hint="Give the function a name with `def`.")
    node = lambdas[0]
    tree = gast.FunctionDef(
        name="lambda_%d" % node.lineno, args=node.args,
        body=[gast.Return(value=node.body)], decorator_list=[], returns=None,
        type_comment=None, type_params=[])
    ret = tree.body[0]
    for n in (tree, ret):
        n.lineno, n.col_offset = node.lineno, node.col_offset
        n.end_lineno, n.end_col_offset = node.end_lineno, node.end_col_offset
    return tree


def _param_names(args):
    return [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]


def _by_position(lambdas, code):
    """Keep the lambdas whose body contains the code object's first source position."""
    positions = getattr(code, "co_positions", None)
    if positions is None:  # Python 3.10: no column information in code objects
        return lambdas
    # Instructions of the body carry real spans; RESUME/RETURN carry empty ones.
    spots = [(p[0], p[2]) for p in positions()
             if p[0] is not None and p[2] is not None and p[3] is not None and p[3] > p[2]]
    if not spots:
        return lambdas

    def contains(node, spot):
        body = node.body
        start = (body.lineno, body.col_offset)
        end = (body.end_lineno, body.end_col_offset)
        return start <= spot <= end

    return [n for n in lambdas if all(contains(n, s) for s in spots)]
