"""The pipeline from a Python function to its compiled adjoint.

    source.get -> normalize -> activity -> reverse -> assemble -> optimize -> codegen

`_Job(fn, spec).run()` returns an `Artifact` (generated functions + source text).
`compile(fn, spec)`, `clear_cache` and `Artifact` are the cache's (srcgrad/cache.py),
re-exported here: that is where an artifact is reused while its guards hold.
"""
import builtins
import copy
import inspect

import gast
import numpy as np

from . import codegen, guards as guards_mod, runtime, source as source_mod
from .codegen import locate  # noqa: F401 (the API locates RuntimeRefusals with it)
from .errors import (ArgumentError, RuntimeRefusal, SourceUnavailableError,
                     SrcgradError, UnsupportedSyntaxError)
from .naming import Namer
from .resolve import Resolver
from .transforms.activity import activity
from .transforms.aliasing import check_deferred_aliases
from .transforms.broadcasts import drop_broadcasts
from .transforms.complexes import drop_real_helpers, real_names
from .transforms.normalize import Context, normalize
from .transforms.optimize import optimize
from .transforms.reverse import Reverse, ZERO
from .transforms.dtypes import float64_names, is_float64, is_product
from .transforms.replay import replay_safe
from .transforms.scalars import is_python_float, python_numbers, use_math
from .transforms.setitem import own_before_restores
from .transforms.shapes import expr_shape, infer_shapes
from .transforms.syntax import (assign, call, const, load_names, name, store,
                                store_names)

# The cache (srcgrad/cache.py) hands these in when it is imported (install): the
# pipeline builds its Artifact and compiles callees through the cache, and this
# module never imports cache.py.
compile = clear_cache = Artifact = None


def install(compile_fn, clear_fn, artifact_cls):
    global compile, clear_cache, Artifact
    compile, clear_cache, Artifact = compile_fn, clear_fn, artifact_cls


class Spec:
    """What to generate. mode: 'grad' | 'value_and_grad' | 'vjp' (fwd + bwd pair)."""

    def __init__(self, wrt=0, of=None, mode="grad", optimize=True, unroll="auto",
                 save_to=None, shapes=None, dtypes=None, use_math=True):
        if unroll not in ("auto", True, False):
            raise ArgumentError(f"unroll must be 'auto', True or False, not {unroll!r}")
        self.wrt = wrt if isinstance(wrt, tuple) else (wrt,)
        self.single = not isinstance(wrt, tuple)
        self.of = of
        self.mode = mode
        self.optimize = optimize
        self.unroll = unroll
        self.save_to = save_to
        self.shapes = shapes  # argument shapes to specialize on (None: generic code)
        self.dtypes = dtypes  # argument dtype strings, 'float' or 'int' (or None each)
        self.use_math = use_math  # math functions on Python floats (transforms/scalars.py)

    def key(self):
        return (self.wrt, self.single, self.of, self.mode, self.optimize, self.unroll,
                self.save_to, self.shapes, self.dtypes, self.use_math)

    def with_shapes(self, shapes, dtypes=None, use_math=True):
        spec = Spec(self.wrt if not self.single else self.wrt[0], self.of, self.mode,
                    self.optimize, self.unroll, self.save_to, shapes, dtypes, use_math)
        return spec


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


class _Ctx(Context):
    def __init__(self, namer, filename, function, unroll, helpers):
        super().__init__(namer, filename, function, unroll)
        self.helpers = helpers
        self.lookups = []  # (name, object) resolutions made while normalizing

    def helper(self, preferred, obj):
        return self.helpers.bind(preferred, obj)

    def helper_names(self):
        return self.helpers.bound.keys()

    def resolves_to(self, name_, obj):
        """Whether the free name `name_` of the user's function refers to `obj` (a
        builtin such as range, which a module may shadow); the answer is guarded."""
        found, value = self.helpers.source.resolve(name_)
        self.lookups.append((name_, value if found else None))
        return found and value is obj

    def source_line(self, lineno):
        import linecache
        return linecache.getline(self.filename, lineno).strip()


def _drop_casts(f, sinks, params, plain):
    """Replace `cast_like(g, w)` for a parameter `w` by `g` where plain(g, w) holds:
    the cast would return g as it is."""
    class _U(gast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if isinstance(node.func, gast.Name) and node.func.id in sinks and \
                    len(node.args) == 2 and isinstance(node.args[1], gast.Name) and \
                    node.args[1].id in params and plain(node.args[0], node.args[1].id):
                return node.args[0]
            return node
    _U().visit(f)


def _with_numpy_fallback(fast, fn, spec, info):
    """`fast`, specialized on Python floats (math functions, plain float arithmetic),
    until it raises, which it may where NumPy would give inf or nan (math.log(0.0),
    overflow, float division by zero) or where the user's code raises. Then the user's
    function runs, so that its own exception propagates; if it returns, the gradient
    is computed again on NumPy float64 scalars, which follow NumPy's rules, with float
    gradients returned as floats. Only for functions that can run again unobserved
    (math_floats decides, transforms/replay.py); others compute on the Python floats
    as they are, without `math`."""
    if not info.get("replay"):
        return fast
    slow = []
    positions = [info["params"].index(w) if w in info["params"] else None
                 for w in info["wrt"]]

    def main(*args):
        try:
            return fast(*args)
        except SrcgradError:
            raise
        except Exception:
            pass
        result = fn(*args)  # raises what the user's code raises on these arguments
        if not slow:
            dtypes = tuple(None if d == "float" else d for d in spec.dtypes)
            slow.append(compile(fn, Spec(
                spec.wrt if not spec.single else spec.wrt[0], spec.of, "value_and_grad",
                spec.optimize, spec.unroll, None, spec.shapes, dtypes,
                use_math=False)).main)
        value, grads = slow[0](*[np.float64(a) if type(a) is float else a for a in args])
        if spec.of is None and not _same_values(result, value):
            raise RuntimeRefusal(
                f"{fn.__qualname__}() computes another value on these Python floats "
                f"({result!r}) than on NumPy float64 ({value!r}), e.g. a negative float "
                "to a fractional power, which is complex in Python and nan in NumPy; "
                "srcgrad differentiates the NumPy arithmetic only. Pass np.float64 "
                "arguments, or use np.power.")
        grads = list(grads) if not spec.single else [grads]
        for i, p in enumerate(positions):
            if p is not None and p < len(args) and type(args[p]) is float:
                grads[i] = float(grads[i])
        grads = grads[0] if spec.single else tuple(grads)
        return (value, grads) if spec.mode == "value_and_grad" else grads
    main.__wrapped__ = fast
    return main


def _same_values(a, b):
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
    except (TypeError, ValueError):
        return False


class _GeneratedScope:
    """Name resolution inside generated code: helpers first, then the user's scope."""

    def __init__(self, source, helpers):
        self.source = source
        self.helpers = helpers

    def resolve(self, name_):
        if name_ in self.helpers:
            return True, self.helpers[name_]
        return self.source.resolve(name_)


class _Job:
    def __init__(self, fn, spec):
        self.fn = fn
        self.spec = spec
        self.deps = []
        self.replay = False  # whether main may run again unobserved (math_floats)

    # -- services used by the reverse transform --

    def callee_active_params(self, call_node, callee):
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
        spec = Spec(wrt=tuple(active_params), mode="vjp", optimize=self.spec.optimize,
                    unroll=self.spec.unroll)
        try:
            art = compile(fn, spec)
        except SourceUnavailableError as exc:
            raise self.ctx.error(
                f"cannot differentiate through {fn.__qualname__}(): its source is "
                f"unavailable ({exc.message.split(' (')[0]}) and it has no derivative rule.",
                call_node, SourceUnavailableError,
                hint="Define it in a .py file, or register a rule with @srcgrad.adjoint."
            ) from None
        if art not in self.deps:
            self.deps.append(art)
        return art.functions["fwd"], art.functions["bwd"]

    def in_loop(self, x):
        return x in self.loop_assigned

    # -- the pipeline --

    def run(self):
        fn = self.fn
        wrapped = getattr(fn, "__srcgrad_wrapped__", None)
        if wrapped is not None:  # differentiating a srcgrad gradient: use its code
            fn = wrapped()
            self.fn = fn
        src = source_mod.get(fn)
        self.source = src
        tree = copy.deepcopy(src.tree)
        original = copy.deepcopy(src.tree)
        namer = Namer.for_tree(tree)
        self.user_names = frozenset(namer.taken)
        self.params = [a.id for a in tree.args.posonlyargs + tree.args.args +
                       tree.args.kwonlyargs]
        locals_ = set(self.params)
        for node in gast.walk(tree):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                locals_.add(node.id)
        helpers = _Helpers(namer, src, locals_)
        ctx = _Ctx(namer, src.filename, src.name, self.spec.unroll, helpers)
        self.ctx = ctx
        tree = normalize(tree, ctx)
        for node in gast.walk(tree):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                locals_.add(node.id)
        helpers.locals = locals_
        resolver = Resolver(src, locals_, self.user_names)
        resolver.note_aliases(tree)
        self.resolver = resolver
        ret = tree.body[-1]
        body = tree.body[:-1]
        wrt_names, cuts = self.resolve_wrt(original, tree)
        output, value_name, body = self.resolve_output(original, body, ret)
        self.cuts = cuts
        tree.body = body
        self.loop_assigned = _loop_assigned(body)
        self.active = activity(tree, wrt_names, output, resolver, ctx)
        self.active |= {w for w in wrt_names}
        self.shapes = {}
        if self.spec.shapes is not None:
            arg_shapes = dict(zip(self.params, self.spec.shapes))
            self.shapes = infer_shapes(tree, arg_shapes, resolver)
        self.reals = real_names(tree, dict(zip(self.params, self.spec.dtypes)), resolver) \
            if self.spec.dtypes is not None else set()
        check_deferred_aliases(ctx.deferred_aliases,
                               self.shapes if self.spec.shapes is not None else None,
                               resolver)
        rev = Reverse(self)
        self.rev = rev
        if output is not None and output in self.active:
            seed_expr = call(rev.rt("seed"), [name(output)]) if self.spec.mode != "vjp" \
                else None
            if self.shapes.get(output) == ():
                seed_expr = const(1.0)  # a scalar output: d sum(y) / dy = 1
        else:
            seed_expr = None
        sweeps = rev.run(body, output)
        functions, text = self.assemble(tree, sweeps, output, value_name, wrt_names,
                                        seed_expr)
        guards = guards_mod.guards(src, fn, resolver.guards + ctx.lookups, resolver.links)
        info = {"wrt": wrt_names, "output": output, "filename": src.filename,
                "fn": fn, "params": self.params, "replay": self.replay,
                "output_active": output is not None and output in self.active}
        art = Artifact(functions, text, guards, self.deps, self.spec, info)
        if self.spec.save_to and self.deps:  # the file holds the callees' adjoints too
            with open(self.spec.save_to, "w") as fh:
                fh.write(art.full_text())
        return art

    def resolve_wrt(self, original, tree):
        names, cuts = [], set()
        assigned = _assignment_counts(original)
        for w in self.spec.wrt:
            if isinstance(w, bool) or not isinstance(w, (int, str)):
                raise ArgumentError(f"wrt must be parameter positions or names, got {w!r}")
            if isinstance(w, int):
                star = original.args.vararg or original.args.kwarg
                if not -len(self.params) <= w < len(self.params) and star is not None:
                    raise ArgumentError(  # e.g. a decorator's `wrapper(*args, **kwargs)`
                        f"wrt={w} is an argument {self.source.name}() receives through "
                        "*args/**kwargs; srcgrad cannot differentiate through those",
                        filename=self.source.filename, lineno=original.lineno,
                        function=self.source.name,
                        hint="Give the function (a decorator's wrapper too) named "
                             "parameters, e.g. `def wrapper(x): return 2 * fn(x)`.")
                if not -len(self.params) <= w < len(self.params):
                    varargs = original.args.vararg is not None
                    raise ArgumentError(
                        f"wrt={w} is out of range: {self.source.name}() has "
                        f"{len(self.params)} named parameter(s)" +
                        (f" and takes *{original.args.vararg.id}; srcgrad differentiates "
                         "with respect to named parameters only" if varargs else ""),
                        filename=self.source.filename, lineno=original.lineno,
                        function=self.source.name,
                        hint="Give the values you differentiate with respect to their "
                             "own parameters, e.g. def f(x, y, *rest)." if varargs else
                             "wrt counts parameters from 0.")
                names.append(self.params[w])
            elif w in self.params:
                names.append(w)
            else:
                self.check_once(w, assigned, "wrt", original)
                names.append(w)
                cuts.add(w)
        return names, cuts

    def check_once(self, w, assigned, what, original):
        count = assigned.get(w, 0)
        if count != 1:
            how = "never assigned" if count == 0 else f"assigned {count} times"
            raise ArgumentError(
                f"{what}={w!r} must name a parameter or a local variable assigned exactly "
                f"once, but {w!r} is {how} in {self.source.name}()",
                filename=self.source.filename, lineno=original.lineno,
                function=self.source.name,
                hint="Give the intermediate value its own name, assigned once.")

    def resolve_output(self, original, body, ret):
        of = self.spec.of
        result = ret.value.id if isinstance(ret.value, gast.Name) else None
        if of is None:
            if result is None:  # return of a constant
                tmp = self.ctx.namer.fresh("result")
                body = body + [assign(tmp, ret.value, ret)]
                result = tmp
            return result, result, body
        if isinstance(of, str):
            self.check_once(of, _assignment_counts(original), "of", original)
            return of, of, body
        if isinstance(of, int) and not isinstance(of, bool):
            returned = [n.value for n in gast.walk(original) if isinstance(n, gast.Return)]
            sizes = {len(v.elts) for v in returned if isinstance(v, (gast.Tuple, gast.List))}
            if len(sizes) != 1 or len(sizes) != len({id(v) for v in returned}) and \
                    not all(isinstance(v, (gast.Tuple, gast.List)) for v in returned):
                raise ArgumentError(
                    f"of={of} selects an element of a returned tuple, but "
                    f"{self.source.name}() does not return a tuple literal",
                    filename=self.source.filename, lineno=original.lineno,
                    function=self.source.name, hint="Use of=NAME for a local variable.")
            size = sizes.pop()
            if not -size <= of < size:
                raise ArgumentError(
                    f"of={of} is out of range: {self.source.name}() returns {size} values",
                    filename=self.source.filename, lineno=original.lineno,
                    function=self.source.name)
            tmp = self.ctx.namer.fresh("out")
            body = body + [assign(tmp, gast.Subscript(value=name(result), slice=const(of),
                                                      ctx=gast.Load()), ret)]
            return tmp, tmp, body
        raise ArgumentError(f"of must be a local variable name or a tuple index, not {of!r}")

    def assemble(self, tree, sweeps, output, value_name, wrt_names, seed_expr):
        ctx = self.ctx
        namer = ctx.namer
        rev = self.rev
        fname = self.source.name
        mode = self.spec.mode
        pre = [assign(x, const(None)) for x in sweeps.preinit]
        if sweeps.uses_stack:
            pre.append(assign(rev.stack, gast.List(elts=[], ctx=gast.Load())))
        active_out = output is not None and output in self.active

        def grad_of(w, states):
            if w in sweeps.captured:
                return name(sweeps.captured[w])
            dw = rev.adjoints.get(w)
            if dw is None or states.get(dw, ZERO) == ZERO:
                return call(rev.rt("zeros_like"), [name(w)])
            return name(dw)

        def cast(w, expr):
            return call(rev.rt("cast_like"), [expr, name(w)])

        # the adjoint sweep restores overwritten elements in place: never into an
        # array someone else sees (the value returned, values saved for the pullback)
        if mode == "value_and_grad":
            sweeps.adjoint = own_before_restores(sweeps.adjoint, {value_name}, True,
                                                 rev.rt("copy_value").id)
        elif mode == "vjp":
            sweeps.adjoint = own_before_restores(sweeps.adjoint, None, False,
                                                 rev.rt("copy_value").id)
        functions = []
        if mode in ("grad", "value_and_grad"):
            body = list(pre) + sweeps.primal
            if mode == "value_and_grad":  # the adjoint sweep may restore older values
                value = namer.fresh("value")
                body.append(assign(value, name(value_name)))
                value_name = value
            if active_out:
                body.append(assign(rev.d(output), seed_expr))
            body += sweeps.adjoint
            grads = [cast(w, grad_of(w, sweeps.final_states)) if w in self.params else
                     grad_of(w, sweeps.final_states) for w in wrt_names]
            result = grads[0] if self.spec.single else gast.Tuple(elts=grads, ctx=gast.Load())
            if mode == "value_and_grad":
                result = gast.Tuple(elts=[name(value_name), result], ctx=gast.Load())
            body.append(gast.Return(value=result))
            main = namer.fresh(("grad_" if mode == "grad" else "value_and_grad_") + fname)
            functions.append(_funcdef(main, clone_args(tree.args), body))
            names = {"main": main}
        else:
            grads = [grad_of(w, sweeps.final_states) for w in wrt_names]
            needed = set(sweeps.saved_names)
            for g in grads:
                needed |= load_names(g)
            primal_names = set(self.params)
            for st in sweeps.primal:
                primal_names |= store_names(st)
            saved = sorted((needed & primal_names) - set(sweeps.captured.values())
                           - set(ctx.helpers.bound) - set(rev.adjoints.values()))
            if sweeps.uses_stack and rev.stack not in saved:
                saved.append(rev.stack)
            saved_tuple = gast.Tuple(elts=[name(s) for s in saved], ctx=gast.Load())
            # a saved name may be assigned on some paths only: give it a value on all
            preset = [assign(x, const(None)) for x in saved
                      if x not in self.params and x not in sweeps.preinit and x != rev.stack
                      and x not in sweeps.defined_first]
            fwd_body = preset + list(pre) + sweeps.primal + [gast.Return(value=gast.Tuple(
                elts=[name(value_name), saved_tuple], ctx=gast.Load()))]
            fwd = namer.fresh("fwd_" + fname)
            bwd = namer.fresh("bwd_" + fname)
            saved_param = namer.fresh("saved")
            cot = rev.d(output) if output is not None else namer.fresh("d_result")
            bwd_body = []
            if saved:
                bwd_body.append(assign(gast.Tuple(elts=[store(s) for s in saved],
                                                  ctx=gast.Store()), name(saved_param)))
                if sweeps.uses_stack:  # the pullback may run again: pop from a copy
                    bwd_body.append(assign(rev.stack, call(
                        ctx.helper("list", builtins.list), [name(rev.stack)])))
            bwd_body += sweeps.adjoint
            bwd_body.append(gast.Return(value=gast.Tuple(elts=grads, ctx=gast.Load())
                                        if len(grads) != 1 else grads[0]))
            functions.append(_funcdef(fwd, clone_args(tree.args), fwd_body))
            bwd_args = gast.arguments(args=[gast.Name(id=saved_param, ctx=gast.Param(),
                                                      annotation=None, type_comment=None),
                                            gast.Name(id=cot, ctx=gast.Param(),
                                                      annotation=None, type_comment=None)],
                                      posonlyargs=[], vararg=None, kwonlyargs=[],
                                      kw_defaults=[], kwarg=None, defaults=[])
            functions.append(_funcdef(bwd, bwd_args, bwd_body))
            names = {"fwd": fwd, "bwd": bwd}
        if self.spec.dtypes is not None:  # before optimize: real_like reads primals
            drop_real_helpers(functions[0], dict(zip(self.params, self.spec.dtypes)),
                              Resolver(_GeneratedScope(self.source, ctx.helpers.bound),
                                       store_names(functions[0])), rev.stack)
        if self.spec.optimize:
            for f in functions:
                optimize(f, self.pure_call, keep=self.user_names)
            if self.spec.shapes is not None:
                self.compact(functions, names, output)
        factory = namer.fresh("make_" + (names.get("main") or names["fwd"]))
        used = set()
        for f in functions:
            used |= load_names(f)
        free = sorted(n for n in ctx.helpers.bound if n in used)
        user_free = sorted(n for n in self.source.closure if n in used and n not in free)
        fargs = gast.arguments(args=[gast.Name(id=n, ctx=gast.Param(), annotation=None,
                                               type_comment=None) for n in free + user_free],
                               posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                               kwarg=None, defaults=[])
        ret_names = [name(f.name) for f in functions]
        fbody = functions + [gast.Return(value=ret_names[0] if len(ret_names) == 1 else
                                         gast.Tuple(elts=ret_names, ctx=gast.Load()))]
        module = gast.Module(body=[_funcdef(factory, fargs, fbody)], type_ignores=[])
        what = {"grad": "gradient", "value_and_grad": "value and gradient",
                "vjp": "forward and backward sweeps"}[mode]
        header = [f"# srcgrad: {what} of {fname}() from {_one_line(self.source.filename)}, "
                  f"line {self.source.tree.lineno}; wrt {', '.join(wrt_names)}"]
        if free:
            header.append("# free names: " + ", ".join(
                f"{n} = {_describe(ctx.helpers.bound[n])}" for n in free))
        body_text = codegen.to_source(module)
        text = "\n".join(header) + "\n" + body_text
        tree_ = self.source.tree
        lines = codegen.line_origins(module, body_text, len(header), tree_.lineno,
                                     getattr(tree_, "end_lineno", None) or tree_.lineno)
        built, _ = codegen.build(text, factory, {f.name for f in functions},
                                 ctx.helpers.bound, self.fn, save_to=self.spec.save_to,
                                 origins=(self.source.filename, fname, lines))
        out = {role: built[n] for role, n in names.items()}
        for f in out.values():
            f.__srcgrad_source__ = text
        if "main" in out:
            f = out["main"]
            f.__defaults__ = self.fn.__defaults__
            f.__kwdefaults__ = self.fn.__kwdefaults__
        else:
            out["fwd"].__defaults__ = self.fn.__defaults__
            out["fwd"].__kwdefaults__ = self.fn.__kwdefaults__
        return out, text

    def compact(self, functions, names, output):
        """Shape- and dtype-specialized rewrites of the generated functions: drop the
        broadcasts of reduction adjoints that elementwise arithmetic makes redundant
        (transforms/broadcasts.py), casts that would return the gradient as it is, and
        NumPy calls on Python floats (transforms/scalars.py)."""
        bound = self.ctx.helpers.bound
        sinks = {n for n, obj in bound.items() if obj is runtime.cast_like}
        scope = _GeneratedScope(self.source, bound)
        for f in functions:
            if f.name == names.get("fwd"):
                continue  # the forward sweep has no adjoints
            if f.name == names.get("bwd"):
                arg_shapes = {self.rev.d(output): self.shapes.get(output)} \
                    if output is not None else {}
            else:
                arg_shapes = dict(zip(self.params, self.spec.shapes))
            resolver = Resolver(scope, store_names(f))
            if drop_broadcasts(f, arg_shapes, self.shapes, resolver, sinks):
                optimize(f, self.pure_call, keep=self.user_names)
            if f.name == names.get("main") and self.spec.dtypes is not None:
                self.uncast(f, arg_shapes, resolver, sinks)
                if self.spec.use_math and "float" in self.spec.dtypes:
                    self.math_floats(f, resolver, sinks)

    def math_floats(self, f, resolver, sinks):
        """math functions where the values are Python floats; then the casts of
        Python-float gradients to float arguments go. Only where the user's function
        and this code can run again unobserved: the fallback for what `math` and
        plain floats raise runs them again (_with_numpy_fallback)."""
        import math
        kinds = dict(zip(self.params, self.spec.dtypes))
        numbers = python_numbers(self.source.tree, kinds, self.resolver, None)
        if not replay_safe(self.source.tree, self.resolver, immutable=numbers) or \
                not replay_safe(f, resolver, self.rev.stack):
            return
        # with or without math, float arithmetic in the adjoint may raise (0.0 ** -0.5)
        self.replay = True
        math_name = self.ctx.helpers.bind("math", math)  # the scope sees it at once
        floats = use_math(f, kinds, resolver, math_name, self.rev.stack)
        if floats is None:
            return
        _drop_casts(f, sinks, kinds, lambda g, w: kinds[w] == "float" and
                    is_python_float(g, floats, resolver))

    def uncast(self, f, arg_shapes, resolver, sinks):
        """Return a gradient without `cast_like` where it is statically a fresh float64
        array of its float64 argument's shape: then the cast would return it as is."""
        kinds = dict(zip(self.params, self.spec.dtypes))
        shapes = infer_shapes(f, arg_shapes, resolver, self.shapes)
        f64 = float64_names(f, kinds, resolver)
        loads, values = {}, {}
        # `n = n + e` reads n into arithmetic, which makes a new array: no alias of n
        inside_own = {id(m) for a in gast.walk(f) if isinstance(a, gast.Assign) and
                      len(a.targets) == 1 and isinstance(a.targets[0], gast.Name) and
                      isinstance(a.value, (gast.BinOp, gast.UnaryOp))
                      for m in gast.walk(a.value)
                      if isinstance(m, gast.Name) and m.id == a.targets[0].id}
        for n in gast.walk(f):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                if id(n) not in inside_own:
                    loads[n.id] = loads.get(n.id, 0) + 1
            elif isinstance(n, gast.Assign):
                for t in n.targets:
                    for m in gast.walk(t):
                        if isinstance(m, gast.Name):
                            values.setdefault(m.id, []).append(
                                n.value if t is m else None)
            elif isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name):
                values.setdefault(n.target.id, []).append(gast.BinOp(
                    left=n.target, op=n.op, right=n.value))

        def fresh(expr, top=True):
            """Whether `expr` is a new array no other name refers to."""
            if isinstance(expr, (gast.BinOp, gast.UnaryOp)):
                return True
            if isinstance(expr, gast.Call):
                func = expr.func
                if isinstance(func, gast.Attribute) and func.attr in ("sum", "mean", "copy"):
                    return True
                obj = resolver.static_object(func)
                return not expr.keywords and (
                    isinstance(obj, np.ufunc) or is_product(obj))
            if isinstance(expr, gast.Name) and top and loads.get(expr.id) == 1 and \
                    expr.id not in kinds:
                # every value it ever holds is fresh (`n = n + e` and `n += e` keep it so)
                defs = values.get(expr.id, [])
                return bool(defs) and all(d is not None and fresh(d, False) for d in defs)
            return False

        def plain(g, w):
            shape = self.spec.shapes[self.params.index(w)]
            return kinds[w] == np.dtype(np.float64).str and shape and \
                expr_shape(g, shapes, resolver) == shape and \
                is_float64(g, f64, resolver) and fresh(g)
        _drop_casts(f, sinks, kinds, plain)

    def pure_call(self, node):
        func = node.func
        root = func
        while isinstance(root, gast.Attribute):
            root = root.value
        if isinstance(root, gast.Name):
            obj = self.ctx.helpers.bound.get(root.id)
            if obj is None:
                found, obj = self.source.resolve(root.id)
                if not found:
                    return False
            if obj is np or getattr(obj, "__module__", None) == runtime.__name__:
                return isinstance(func, gast.Attribute) or obj is not np
            if any(obj is b for b in _PURE_BUILTINS) and isinstance(func, gast.Name):
                return True
        return False


_PURE_BUILTINS = (builtins.range, builtins.len, builtins.reversed, builtins.list,
                  builtins.slice)


def clone_args(args):
    return copy.deepcopy(args)


def _funcdef(name_, args, body):
    return gast.FunctionDef(name=name_, args=args, body=body or [gast.Pass()],
                            decorator_list=[], returns=None, type_comment=None,
                            type_params=[])


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


def _assignment_counts(tree):
    counts = {}

    def visit(stmts, in_loop):
        for s in stmts:
            targets = []
            if isinstance(s, (gast.Assign,)):
                targets = s.targets
            elif isinstance(s, (gast.AugAssign, gast.AnnAssign)):
                targets = [s.target]
            elif isinstance(s, gast.For):
                targets = [s.target]
            for t in targets:
                for n in gast.walk(t):
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                        counts[n.id] = counts.get(n.id, 0) + (2 if in_loop else 1)
            for field in ("body", "orelse"):
                sub = getattr(s, field, None)
                if isinstance(sub, list):
                    visit(sub, in_loop or isinstance(s, (gast.For, gast.While)))
    visit(tree.body, False)
    return counts


def _loop_assigned(body):
    out = set()

    def visit(stmts, in_loop):
        for s in stmts:
            if in_loop:
                for n in gast.walk(s):
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                        out.add(n.id)
            for field in ("body", "orelse"):
                sub = getattr(s, field, None)
                if isinstance(sub, list):
                    visit(sub, in_loop or isinstance(s, (gast.For, gast.While)))
    visit(body, False)
    return out


__all__ = ["compile", "clear_cache", "Spec", "Artifact", "locate"]
