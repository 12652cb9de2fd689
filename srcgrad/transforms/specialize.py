"""Shape- and dtype-specialized rewrites of optimized generated functions.

`compact(functions, roles, inputs) -> replay`: drop the broadcasts of reduction
adjoints that elementwise arithmetic makes redundant (transforms/broadcasts.py), casts
that would return the gradient as it is (`uncast`), and NumPy calls on Python floats
(`math_floats`, transforms/scalars.py). `replay` says whether the code may run again
unobserved, which `with_numpy_fallback` (wrapping the compiled code) relies on.
"""
import dataclasses
import math

import gast
import numpy as np

from .. import runtime
from ..errors import RuntimeRefusal, SrcgradError
from ..resolve import Resolver
from .broadcasts import drop_broadcasts
from .dtypes import float64_names, is_float64, is_product
from .inplace import nodes_and_calls, put
from .optimize import at_fixpoint, optimize
from .replay import replay_safe
from .scalars import is_python_float, lookup_once, python_numbers, use_math
from .shapes import expr_shape, infer_shapes
from ..treewalk import CHILD_FIELDS, walk


@dataclasses.dataclass
class SpecializeInputs:
    """`shapes`: the primal's inferred shapes; `d_output`: the bwd function's cotangent
    parameter and `output_shape` its shape; `scope`: name resolution in the generated
    code (helpers first, then the user's scope); `bound`: the helper names' objects
    and `bind(preferred, obj)` binds a new one; `tree`: the user's function
    as parsed, `resolver`: the resolver of its names; `stack`: the per-call stack's name;
    `pure_call`/`keep`: what optimize needs."""
    spec: object
    params: list
    shapes: dict
    d_output: object
    output_shape: object
    scope: object
    bound: dict
    bind: object
    tree: object
    resolver: object
    stack: object
    pure_call: object
    keep: frozenset


def compact(functions, roles, inp):
    spec = inp.spec
    sinks = {n for n, obj in inp.bound.items() if obj is runtime.cast_like}
    replay = False
    for f in functions:
        if f.name == roles.get("fwd"):
            continue  # the forward sweep has no adjoints
        if f.name == roles.get("bwd"):
            arg_shapes = {inp.d_output: inp.output_shape} \
                if inp.d_output is not None else {}
        else:
            arg_shapes = dict(zip(inp.params, spec.shapes))
        # one walk of f serves each pass below until one of them changes f
        stores, walked = walk_and_stores(f)
        resolver = Resolver(inp.scope, stores)
        removed, facts = [], {}
        if drop_broadcasts(f, arg_shapes, inp.shapes, resolver, sinks, walked, removed,
                           facts):
            if not (at_fixpoint(f) and all(map(_literal, removed))):
                optimize(f, inp.pure_call, keep=inp.keep)
                facts = {}
        # the walk and the shapes of f as drop_broadcasts left it, where it knows them
        walked = facts.get("walked")
        if f.name == roles.get("main") and spec.dtypes is not None:
            if uncast(f, arg_shapes, resolver, sinks, inp, walked, facts.get("shapes")):
                walked = None
            if spec.use_math and "float" in spec.dtypes:
                replay = math_floats(f, resolver, sinks, inp, walked) or replay
    return replay


def walk_and_stores(root):
    """(the names of the Name nodes under `root` in a Store or Param context,
    `inplace.nodes_and_calls(root)`): its loop, which touches every Name node
    anyway, tells their contexts too, instead of a second loop over the nodes.
    The commonest classes of generated code (names, numbers, arithmetic, calls'
    functions) read their child fields directly, in CHILD_FIELDS' order; any other
    class reads its CHILD_FIELDS."""
    nodes = [root]
    calls = [(root, None, None, None)] if isinstance(root, gast.Call) else []
    stores = set()
    push, keep, store = nodes.append, calls.append, stores.add
    ast, call, fields_of = gast.AST, gast.Call, CHILD_FIELDS
    name_, stored = gast.Name, (gast.Store, gast.Param)
    constant, binop, attribute = gast.Constant, gast.BinOp, gast.Attribute
    assign, extend = gast.Assign, nodes.extend
    for node in nodes:
        cls = node.__class__
        if cls is name_:  # (its one child field: annotation)
            if isinstance(node.ctx, stored):
                store(node.id)
            value = getattr(node, "annotation", None)
            if isinstance(value, ast):
                push(value)
                if isinstance(value, call):
                    keep((value, node, "annotation", None))
            continue
        if cls is constant:  # (its value is a number or a string)
            continue
        if cls is binop:
            left, right = node.left, node.right
            push(left)
            if isinstance(left, call):
                keep((left, node, "left", None))
            push(right)
            if isinstance(right, call):
                keep((right, node, "right", None))
            continue
        if cls is attribute:
            value = node.value
            push(value)
            if isinstance(value, call):
                keep((value, node, "value", None))
            continue
        if cls is assign:  # (a target is never a call)
            extend(node.targets)
            value = node.value
            push(value)
            if isinstance(value, call):
                keep((value, node, "value", None))
            continue
        if isinstance(node, name_) and isinstance(node.ctx, stored):
            store(node.id)  # a subclass of Name
        for field in fields_of[cls]:
            value = getattr(node, field, None)
            if isinstance(value, ast):
                push(value)
                if isinstance(value, call):
                    keep((value, node, field, None))
            elif isinstance(value, list):
                k = 0
                for item in value:
                    if isinstance(item, ast):
                        push(item)
                        if isinstance(item, call):
                            keep((item, node, field, k))
                    k += 1
    return stores, (nodes, calls)


def _literal(shape):
    """Whether `shape` (a dropped site's shape argument) holds constants only: a
    literal tuple, as a statically known shape is written. Then the drop cannot give
    optimize anything to do where it had reached its fixpoint (at_fixpoint):
    `np.broadcast_to(c, shape)` -> `np.float64(c)` keeps the same `np` name and
    removes no name, so every tally of defs and uses stays; both are pure calls
    through `np` and `shape` holds no call, so purity stays; the number is a call's
    argument, never an operand to fold; no statement's kind, target or name reads
    change. Each rewrite decides by these alone, so a second run would change
    nothing (its one round would decide as the last round did; checked over the
    whole suite, 341 skips, by running it on a copy before this was committed)."""
    return all(isinstance(n, (gast.Tuple, gast.Constant, gast.Load)) for n in walk(shape))


def math_floats(f, resolver, sinks, inp, walked=None):
    """math functions where the values are Python floats; then the casts of
    Python-float gradients to float arguments go. Only where the user's function
    and this code can run again unobserved (the result: whether they can): the
    fallback for what `math` and plain floats raise runs them again
    (with_numpy_fallback). `walked`: `nodes_and_calls(f)`, if the caller has it."""
    kinds = dict(zip(inp.params, inp.spec.dtypes))
    user = lookup_once(inp.resolver)  # (each path's first lookup is what guards keep)
    numbers = python_numbers(inp.tree, kinds, user, None)
    if not replay_safe(inp.tree, user, immutable=numbers):
        return False
    walked = walked or nodes_and_calls(f)
    nodes = walked[0]  # walk(f) but for contexts and operators, which neither reads
    # (a lookup of its own: what bind adds below must resolve afresh)
    if not replay_safe(f, lookup_once(resolver), inp.stack, nodes=nodes):
        return False
    # with or without math, float arithmetic in the adjoint may raise (0.0 ** -0.5)
    math_name = inp.bind("math", math)  # the scope sees it at once
    # use_math changes calls' functions only: the walk still finds every call
    floats = use_math(f, kinds, resolver, math_name, inp.stack, nodes)
    if floats is None:
        return True
    drop_casts(f, sinks, kinds, lambda g, w: kinds[w] == "float" and
               is_python_float(g, floats, resolver), walked)
    return True


def uncast(f, arg_shapes, resolver, sinks, inp, walked=None, shapes=None):
    """Return a gradient without `cast_like` where it is statically a fresh float64
    array of its float64 argument's shape: then the cast would return it as is.
    Returns whether any cast went. `walked`: `nodes_and_calls(f)`, and `shapes`:
    `infer_shapes(f, arg_shapes, resolver, inp.shapes)`, if the caller has them."""
    kinds = dict(zip(inp.params, inp.spec.dtypes))
    f64 = np.dtype(np.float64).str
    if not any(kinds[w] == f64 and shape for w, shape in zip(inp.params, inp.spec.shapes)):
        return False  # `plain` below holds for no parameter: nothing to infer
    walked = walked or nodes_and_calls(f)
    nodes = walked[0]
    # the calls drop_casts may rewrite (a call's function changes only if it is a
    # call that drop_casts rewrites), and the names they may cast: their first
    # arguments, or an inner cast's once it goes
    calls = [n for n, *_ in walked[1] if
             isinstance(n.func, gast.Name) and n.func.id in sinks or
             isinstance(n.func, gast.Call)]
    if not calls:
        return False
    cast = {c.args[0].id for c in calls if c.args and isinstance(c.args[0], gast.Name)}
    # The facts are inferred on first use, which must come before drop_casts
    # rewrites anything: a cast goes only after `plain` held for it, which read
    # "shapes" and then "float64s", and the aliasing facts come with the latter.
    # Where every cast fails the shape test, the others are never inferred.
    facts = {} if shapes is None else {"shapes": shapes}

    def fact(key):
        if key not in facts:
            if key == "shapes":
                facts[key] = infer_shapes(f, arg_shapes, resolver, inp.shapes)
            else:
                facts["float64s"] = float64_names(f, kinds, resolver)
                facts["aliasing"] = _aliasing(nodes, cast)
        return facts[key]

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
        if isinstance(expr, gast.Name) and top and expr.id not in kinds:
            loads, values = fact("aliasing")
            if loads.get(expr.id) != 1:
                return False
            # every value it ever holds is fresh (`n = n + e` and `n += e` keep it so)
            defs = values.get(expr.id, [])
            return bool(defs) and all(d is not None and fresh(d, False) for d in defs)
        return False

    def plain(g, w):
        shape = inp.spec.shapes[inp.params.index(w)]
        return kinds[w] == f64 and shape and \
            expr_shape(g, fact("shapes"), resolver) == shape and \
            is_float64(g, fact("float64s"), resolver) and fresh(g)
    try:
        return drop_casts(f, sinks, kinds, plain, walked)
    finally:
        fresh = None  # it calls itself through its cell: break the cycle (which would
        #               keep the facts and trees alive until the next collection)


def _aliasing(nodes, cast):
    """The aliasing facts uncast's `fresh` reads, for the `cast` names only: how
    often each is loaded, and the values assigned to it (None: it is a part of a
    bigger target). `nodes`: walk(f)."""
    loads, values = {}, {}
    # `n = n + e` reads n into arithmetic, which makes a new array: no alias of n
    inside_own = {id(m) for a in nodes if isinstance(a, gast.Assign) and
                  len(a.targets) == 1 and isinstance(a.targets[0], gast.Name) and
                  a.targets[0].id in cast and
                  isinstance(a.value, (gast.BinOp, gast.UnaryOp))
                  for m in walk(a.value)
                  if isinstance(m, gast.Name) and m.id == a.targets[0].id}
    for n in nodes:
        if isinstance(n, gast.Name):
            if isinstance(n.ctx, gast.Load) and n.id in cast and id(n) not in inside_own:
                loads[n.id] = loads.get(n.id, 0) + 1
        elif isinstance(n, gast.Assign):
            for t in n.targets:
                if isinstance(t, gast.Name):
                    if t.id in cast:
                        values.setdefault(t.id, []).append(n.value)
                    continue
                for m in walk(t):
                    if isinstance(m, gast.Name) and m.id in cast:
                        values.setdefault(m.id, []).append(
                            n.value if t is m else None)
        elif isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name) and \
                n.target.id in cast:
            values.setdefault(n.target.id, []).append(gast.BinOp(
                left=n.target, op=n.op, right=n.value))
    return loads, values


def drop_casts(f, sinks, params, plain, walked=None):
    """Replace `cast_like(g, w)` for a parameter `w` by `g` where plain(g, w) holds:
    the cast would return g as it is; return whether any went. `walked`:
    `nodes_and_calls(f)`, if the caller has it. Inner calls go first, as in a
    NodeTransformer's visit: an outer cast sees its argument rewritten already."""
    calls = (walked or nodes_and_calls(f))[1]
    dropped = False
    for node, parent, field, index in reversed(calls):
        if parent is not None and isinstance(node.func, gast.Name) and \
                node.func.id in sinks and len(node.args) == 2 and \
                isinstance(node.args[1], gast.Name) and node.args[1].id in params and \
                plain(node.args[0], node.args[1].id):
            put(parent, field, index, node.args[0])
            dropped = True
    return dropped


def with_numpy_fallback(fast, fn, spec, info, compile_main):
    """`fast`, specialized on Python floats (math functions, plain float arithmetic),
    until it raises, which it may where NumPy would give inf or nan (math.log(0.0),
    overflow, float division by zero) or where the user's code raises. Then the user's
    function runs, so that its own exception propagates; if it returns, the gradient
    is computed again on NumPy float64 scalars, which follow NumPy's rules, with float
    gradients returned as floats (`compile_main(spec)`: the compiled main function for
    a spec). Only for functions that can run again unobserved (math_floats decides,
    transforms/replay.py); others compute on the Python floats as they are, without
    `math`."""
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
            slow.append(compile_main(dataclasses.replace(
                spec, mode="value_and_grad", save_to=None, dtypes=dtypes,
                use_math=False)))
        value, grads = slow[0](*[np.float64(a) if type(a) is float else a for a in args])
        if spec.of is None and not same_values(result, value):
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


def same_values(a, b):
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
    except (TypeError, ValueError):
        return False
