"""Normalize: the user's function in the small language the later passes read.

Entry: `normalize(tree, ctx) -> tree` for a gast.FunctionDef, run on its own with a
`Context` (context.py). The steps, each in its own module:
  1. constructs.py refuses what srcgrad cannot differentiate and in-place updates
     through shared arrays;
  2. jumps.py turns break, continue and early return into flags;
  3. anf.py puts the body in A-normal form.

The contract (what the tree looks like afterwards): the body consists only of
  * `name = op(atoms)`: one operation (BinOp, UnaryOp, Compare, BoolOp, Call,
    Subscript, Attribute, Tuple, List), or a copy `name = atom`; an atom is a Name,
    a Constant, or a dotted global path such as `np.pi`. The target never appears
    among the operands (`x = x * 2` becomes `t = x * 2; x = t`). Expressions srcgrad
    does not decompose stay whole, marked with an `Opaque` note.
  * `a, b = name` (unpacking into names), `name[index] = atom` (index built from atoms),
  * `if name:`, `while name:` or `while <constant>:` (a test is recomputed at the end
    of the body), `for name in name:` over a `range` object (bound by
    `ctx.helper("range", builtins.range)`), `if name: break` as the last statement of
    a loop body, expression statements `f(atoms)`, `assert`, `raise`,
  * one `return name` as the last statement of the function (`return None` added when
    the function has none).
`break`, `continue` and early `return` become flags (jumps.py); `for` over sequences,
`enumerate` and `zip` become loops over `range(len(seq))` (the `min` of the lengths for
`zip`); literal-range loops are unrolled according to `ctx.unroll` (anf.py).
Docstrings and `pass` are dropped. Every new statement carries the location of the
user statement it came from (and `origin`, that statement). Unsupported syntax raises
UnsupportedSyntaxError at the user's line.
"""
import gast

from .anf import ANormalForm
from .constructs import check_aliasing, check_supported
from .context import Context
from .jumps import JumpsToFlags
from .syntax import STORES, const, located
from ..treewalk import child_nodes, names

__all__ = ["Context", "normalize"]


def normalize(tree, ctx):
    # both checks read every node but contexts and operators: walked once
    nodes = child_nodes(tree)
    check_supported(tree, ctx, nodes)
    check_aliasing(tree, ctx, nodes)
    params = [a.id for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs]
    if tree.args.vararg is not None:
        params.append(tree.args.vararg.id)
    if tree.args.kwarg is not None:
        params.append(tree.args.kwarg.id)
    body = JumpsToFlags(ctx).function_body(tree.body)
    locals_ = set(params)
    for s in body:  # (store_names of each statement, into one set)
        names(s, STORES, into=locals_)
    tree.body = ANormalForm(ctx, locals_).block(body)
    if not tree.body or not isinstance(tree.body[-1], gast.Return):
        ret = gast.Return(value=const(None))
        tree.body.append(located(ret, tree))
    return tree
