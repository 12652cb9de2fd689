"""The pipeline from a Python function to its generated adjoint, pass by pass.

    source -> normalize -> resolve -> targets (wrt, of) -> activity -> shapes -> kinds
    -> reverse -> assemble -> optimize -> specialize -> codegen

`build(fn, spec, callees) -> Generated` runs them in order; each pass takes what it
needs as arguments and returns its result (records below). Callees' adjoints come from
`callees.request(fn, active_params) -> (fwd, bwd)`, which the compiler serves; nothing
here compiles another function or knows of the cache.
"""
import ast
import builtins
import dataclasses
import inspect

import gast
import numpy as np

from . import codegen, guards as guards_mod, printer, runtime, source as source_mod
from .errors import ArgumentError, SourceUnavailableError, UnsupportedSyntaxError
from .naming import Namer
from .resolve import Resolver
from .transforms.activity import activity
from .transforms.aliasing import check_deferred_aliases
from .transforms.assemble import arguments, assemble, funcdef, seed
from .transforms.complexes import drop_real_helpers, real_names
from .transforms.namesets import NameSets
from .transforms.normalize import Context, normalize
from .transforms.optimize import counted, optimize
from .transforms.reverse import Reverse
from .transforms.shapes import infer_shapes
from .transforms.specialize import SpecializeInputs, compact
from .transforms.syntax import name
from .transforms.wrt import loop_assigned, select
from .treewalk import CHILD_FIELDS, names as names_in


@dataclasses.dataclass(frozen=True)
class Spec:
    """What to generate. mode: 'grad' | 'value_and_grad' | 'vjp' (fwd + bwd pair).

    `wrt` is held as a tuple; `single` says whether it was given as one position or
    name (the gradient is then returned alone). `shapes`: argument shapes to
    specialize on (None: generic code); `dtypes`: argument dtype strings, 'float' or
    'int' (or None each); `use_math`: math functions on Python floats."""
    wrt: object = 0
    of: object = None
    mode: str = "grad"
    optimize: bool = True
    unroll: object = "auto"
    save_to: object = None
    shapes: object = None
    dtypes: object = None
    use_math: bool = True
    single: bool = None  # derived from wrt unless given (dataclasses.replace keeps it)

    def __post_init__(self):
        if self.unroll not in ("auto", True, False):
            raise ArgumentError(f"unroll must be 'auto', True or False, not {self.unroll!r}")
        if self.single is None:
            object.__setattr__(self, "single", not isinstance(self.wrt, tuple))
        if not isinstance(self.wrt, tuple):
            object.__setattr__(self, "wrt", (self.wrt,))

    def key(self):
        return (self.wrt, self.single, self.of, self.mode, self.optimize, self.unroll,
                self.save_to, self.shapes, self.dtypes, self.use_math)

    def with_shapes(self, shapes, dtypes=None, use_math=True):
        return dataclasses.replace(self, shapes=shapes, dtypes=dtypes, use_math=use_math)


@dataclasses.dataclass(frozen=True)
class Function:
    """The source pass: the function differentiated, its parsed source, a working
    copy of the tree and the untouched original, its named parameters and the names
    the user's code uses (generated names avoid them)."""
    fn: object
    source: object
    tree: object
    original: object
    params: list
    user_names: frozenset


@dataclasses.dataclass(frozen=True)
class Analysis:
    """The analyses' results: `active` names (carry a derivative), inferred `shapes`
    ({} unless specialized), `reals` (names holding no complex numbers), the names
    assigned in a loop."""
    active: set
    shapes: dict
    reals: set
    loop_assigned: set


@dataclasses.dataclass
class Generated:
    """The compiled functions by role ('main', or 'fwd' and 'bwd'), their source text,
    the guards the cache checks, and facts the wrapper uses (info)."""
    functions: dict
    text: str
    guards: tuple
    info: dict


def build(fn, spec, callees):
    """Generate and compile the adjoint of `fn` under `spec`."""
    fun = read_source(fn)
    ctx = context(fun, spec)
    tree = normalize(fun.tree, ctx)
    resolver = resolve(fun, tree, ctx)
    targets = select(spec.wrt, spec.of, fun.source, fun.params, fun.original, tree,
                     ctx.namer)
    tree.body = targets.body
    analysis = analyze(tree, targets, resolver, ctx, spec, fun.params)
    rev = Reverse(ReverseInputs(ctx, analysis.active, resolver, targets.cuts,
                                analysis.reals, analysis.shapes, fun.params,
                                analysis.loop_assigned, callees))
    seed_expr = seed(rev, targets.output, analysis.active, spec.mode, analysis.shapes)
    sweeps = rev.run(targets.body, targets.output)
    functions, roles = assemble(tree, sweeps, rev, ctx, targets, fun.params,
                                analysis.active, spec, fun.source.name, seed_expr)
    scope = _GeneratedScope(fun.source, ctx.helpers.bound)
    counts = None  # optimize's tallies of functions[0], while they hold
    if spec.dtypes is not None:  # before optimize: real_like reads primals
        walked = None
        if spec.optimize:  # one walk for both passes
            counts, stores, calls = counted(functions[0])
            walked = stores, calls
        if drop_real_helpers(functions[0], dict(zip(fun.params, spec.dtypes)), scope,
                             rev.stack, walked):
            counts = None
    replay = False
    if spec.optimize:
        pure = pure_call(ctx.helpers.bound, fun.source)
        for f in functions:
            optimize(f, pure, keep=fun.user_names,
                     counts=counts if f is functions[0] else None)
        if spec.shapes is not None:
            out = targets.output if "bwd" in roles else None  # the cotangent's shape
            replay = compact(functions, roles, SpecializeInputs(
                spec, fun.params, analysis.shapes, rev.d(out) if out is not None else None,
                analysis.shapes.get(out) if out is not None else None, scope,
                ctx.helpers.bound, ctx.helpers.bind, fun.source.tree, resolver,
                rev.stack, pure, fun.user_names))
    compiled, text = emit(functions, roles, fun, ctx, spec, targets.wrt)
    guards = guards_mod.guards(fun.source, fun.fn, resolver.guards + ctx.lookups,
                               resolver.links)
    info = {"wrt": targets.wrt, "output": targets.output, "filename": fun.source.filename,
            "fn": fun.fn, "params": fun.params, "replay": replay,
            "output_active": targets.output is not None and
            targets.output in analysis.active}
    return Generated(compiled, text, guards, info)


# -- the passes --

def read_source(fn):
    wrapped = getattr(fn, "__srcgrad_wrapped__", None)
    if wrapped is not None:  # differentiating a srcgrad gradient: use its code
        fn = wrapped()
    src = source_mod.get(fn)
    # normalize rewrites `tree`; the user's tree (select reads it as `original`,
    # specialize and emit as `fun.source.tree`) is only read, so one copy will do
    tree = src.working_copy()
    original = src.tree
    params = [a.id for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs]
    return Function(fn, src, tree, original, params, src.names()[0])


def context(fun, spec):
    """The naming, helper binding and error context the transforms share."""
    namer = Namer(fun.user_names)  # reserves every name of the user's function
    # the names the function assigns (its source's: normalize has not run yet)
    helpers = _Helpers(namer, fun.source, set(fun.params) | fun.source.names()[1])
    return Context(namer, fun.source.filename, fun.source.name, spec.unroll, helpers,
                   fun.source.resolve)


def resolve(fun, tree, ctx):
    """The resolver of the normalized function's free names (its locals now include
    normalize's temporaries, which helper names must not take either). The names of
    the body's statements, which give the locals, are kept for analyze and reverse
    mode (resolver.body_names): each statement is scanned once."""
    body_names = NameSets()
    locals_ = _stored(tree, ctx.helpers.locals, body_names)
    ctx.helpers.locals = locals_
    resolver = Resolver(fun.source, locals_, fun.user_names)
    resolver.body_names = body_names
    resolver.note_aliases(tree)
    return resolver


def analyze(tree, targets, resolver, ctx, spec, params):
    loops = loop_assigned(targets.body)
    # resolver.body_names: the body's names, read here and by Reverse
    active = activity(tree, targets.wrt, targets.output, resolver, ctx,
                      resolver.body_names)
    active |= set(targets.wrt)
    shapes = {}
    if spec.shapes is not None:
        shapes = infer_shapes(tree, dict(zip(params, spec.shapes)), resolver)
    reals = real_names(tree, dict(zip(params, spec.dtypes)), resolver) \
        if spec.dtypes is not None else set()
    check_deferred_aliases(ctx.deferred_aliases,
                           shapes if spec.shapes is not None else None, resolver)
    return Analysis(active, shapes, reals, loops)


def emit(functions, roles, fun, ctx, spec, wrt_names):
    """Print the functions inside a factory taking their free names, compile it and
    return ({role: function}, source text)."""
    fname = fun.source.name
    factory = ctx.namer.fresh("make_" + (roles.get("main") or roles["fwd"]))
    # The functions are printed first: the names they read, which decide the
    # factory's parameters, are collected on the way (no walk of their own).
    used = set()
    printed = printer.print_statements(functions, 1, used)
    bound = ctx.helpers.bound
    free = sorted(n for n in bound if n in used)
    user_free = sorted(n for n in fun.source.closure if n in used and n not in free)
    ret_names = [name(f.name) for f in functions]
    factory_def = funcdef(factory, arguments(free + user_free), [
        gast.Return(value=ret_names[0] if len(ret_names) == 1 else
                    gast.Tuple(elts=ret_names, ctx=gast.Load()))])
    module = gast.Module(body=[factory_def], type_ignores=[])
    head, tail = printer.Printer(), printer.Printer()
    head.function_header(factory_def, 0)  # the factory's def line...
    tail.block(factory_def.body, 1)       # ...and its return, around the functions
    factory_def.body[:0] = functions      # the same in the gast tree (line_origins)
    what = {"grad": "gradient", "value_and_grad": "value and gradient",
            "vjp": "forward and backward sweeps"}[spec.mode]
    tree_ = fun.source.tree
    header = [f"# srcgrad: {what} of {fname}() from {_one_line(fun.source.filename)}, "
              f"line {tree_.lineno}; wrt {', '.join(wrt_names)}"]
    if free:
        header.append("# free names: " + ", ".join(
            f"{n} = {_describe(bound[n])}" for n in free))
    # The printer numbers the statements as it prints them, so the text is not parsed
    # for their lines (only when astor may have moved one) and compiles from the text.
    body, numbers = printer.joined([head, printed, tail], len(header) + 1)
    text = "\n".join(header) + "\n" + body
    parsed = None
    if numbers is None:
        parsed = ast.parse(text)
        numbers = codegen.statement_lines(parsed)
    lines = codegen.line_origins(module, numbers, tree_.lineno,
                                 getattr(tree_, "end_lineno", None) or tree_.lineno)
    built, _ = codegen.build(text, factory, {f.name for f in functions}, bound, fun.fn,
                             save_to=spec.save_to, origins=(fun.source.filename, fname,
                                                            lines), parsed=parsed)
    out = {role: built[n] for role, n in roles.items()}
    for f in out.values():
        f.__srcgrad_source__ = text
    entry = out["main"] if "main" in out else out["fwd"]
    entry.__defaults__ = fun.fn.__defaults__
    entry.__kwdefaults__ = fun.fn.__kwdefaults__
    return out, text


# -- what the reverse transform is given --

@dataclasses.dataclass
class ReverseInputs:
    """What `Reverse` reads: the shared context, the analyses' results, the
    parameters, and the callees' adjoints (served by the compiler)."""
    ctx: object
    active: set
    resolver: object
    cuts: set               # intermediate names given in wrt
    reals: set
    shapes: dict
    params: list
    loop_assigned: set
    callees: object         # .request(fn, active_params) -> (fwd, bwd)

    def in_loop(self, x):
        return x in self.loop_assigned

    def callee_active_params(self, call_node, callee):
        """[(parameter name, argument)] of the active arguments of a call of a user
        function, by binding the call to what it runs."""
        try:
            # what the call runs, not a decorator's __wrapped__; but a srcgrad gradient
            # is differentiated through its generated code, which has fun's parameters
            sig = inspect.signature(callee.obj, follow_wrapped=hasattr(
                callee.obj, "__srcgrad_wrapped__"))
            bound = sig.bind(*call_node.args, **{k.arg: k.value for k in call_node.keywords})
        except (TypeError, ValueError) as exc:
            raise self.ctx.error(f"cannot match this call to {callee.label}(): {exc}",
                                 call_node) from None
        out = []
        for pname, arg in bound.arguments.items():
            kind = sig.parameters[pname].kind
            if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                packed = arg if kind is inspect.Parameter.VAR_POSITIONAL else arg.values()
                if any(isinstance(a, gast.Name) and a.id in self.active for a in packed):
                    star = "*" if kind is inspect.Parameter.VAR_POSITIONAL else "**"
                    raise self.ctx.error(
                        f"{callee.label}() receives this differentiated argument in "
                        f"`{star}{pname}`; srcgrad cannot differentiate through "
                        "*args/**kwargs parameters", call_node, UnsupportedSyntaxError,
                        hint=f"Give {callee.label}() named parameters (a decorator's "
                             "wrapper too: `def wrapper(x): ...`).")
                continue
            if isinstance(arg, gast.Name) and arg.id in self.active:
                out.append((pname, arg))
        return out

    def compile_callee(self, fn, active_params, call_node):
        """(fwd, bwd) of the callee `fn` differentiated in `active_params`; a callee
        without source is refused at the call."""
        try:
            return self.callees.request(fn, active_params)
        except SourceUnavailableError as exc:
            raise self.ctx.error(
                f"cannot differentiate through {fn.__qualname__}(): its source is "
                f"unavailable ({exc.message.split(' (')[0]}) and it has no derivative rule.",
                call_node, SourceUnavailableError,
                hint="Define it in a .py file, or register a rule with @srcgrad.adjoint."
            ) from None


# -- naming and scopes --

class _Helpers:
    """Free names of the generated code bound to objects (NumPy, runtime, callees)."""

    def __init__(self, namer, source, locals_):
        self.namer = namer
        self.source = source
        self.locals = locals_
        self.bound = {}      # name -> object
        self.by_id = {}      # id(object) -> name

    def bind(self, preferred, obj):
        if id(obj) in self.by_id:
            return self.by_id[id(obj)]
        found, user_obj = self.source.resolve(preferred)
        if preferred not in self.locals and found and user_obj is obj:
            name_ = preferred           # the user's own name already means this object
            self.namer.reserve(name_)
        else:
            name_ = self.namer.fresh(preferred)
        self.bound[name_] = obj
        self.by_id[id(obj)] = name_
        return name_


class _GeneratedScope:
    """Name resolution inside generated code: helpers first, then the user's scope."""

    def __init__(self, source, helpers):
        self.source = source
        self.helpers = helpers

    def resolve(self, name_):
        if name_ in self.helpers:
            return True, self.helpers[name_]
        return self.source.resolve(name_)


def _stored(tree, names, body_names):
    """`names` and the names function `tree` assigns (Store context): its statements'
    as `body_names` (a NameSets) finds them, and those of its other fields."""
    stored = set(names)
    for st in tree.body:
        stored |= body_names.stored(st)
    for field in CHILD_FIELDS[tree.__class__]:
        if field != "body":
            value = getattr(tree, field, None)
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, gast.AST):
                    names_in(v, gast.Store, into=stored)
    return stored


def pure_call(bound, source):
    """Whether a call in generated code has no side effect optimize must keep: NumPy
    and srcgrad runtime functions, and a few builtins."""
    def pure(node):
        func = node.func
        root = func
        while isinstance(root, gast.Attribute):
            root = root.value
        if isinstance(root, gast.Name):
            obj = bound.get(root.id)
            if obj is None:
                found, obj = source.resolve(root.id)
                if not found:
                    return False
            if obj is runtime.stop_gradient:
                return False  # as when it lived in api.py (generated code unchanged)
            if obj is np or getattr(obj, "__module__", None) == runtime.__name__:
                return isinstance(func, gast.Attribute) or obj is not np
            if any(obj is b for b in _PURE_BUILTINS) and isinstance(func, gast.Name):
                return True
        return False
    return pure


_PURE_BUILTINS = (builtins.range, builtins.len, builtins.reversed, builtins.list,
                  builtins.slice)


def _describe(obj):
    """What a helper name is bound to, for the header (one line, whatever the names)."""
    if hasattr(obj, "__srcgrad_source__"):
        return "generated below"
    mod = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if isinstance(obj, type(np)):
        return _one_line(obj.__name__)
    if isinstance(mod, str) and isinstance(qual, str) and mod and qual:
        return _one_line(f"{mod}.{qual}")
    return type(obj).__name__


def _one_line(text):
    """`text` (a file or object name, which may hold anything) safe in a # comment."""
    text = str(text)
    if text.isprintable():
        return text
    return repr(text)[1:-1]
