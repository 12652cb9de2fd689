"""Assemble the reverse transform's sweeps into the generated functions.

`assemble(...) -> (functions, roles)`: for 'grad' and 'value_and_grad' one function
(role 'main') running the primal sweep, seeding the output's adjoint and running the
adjoint sweep; for 'vjp' a forward function returning the value and the saved names
(role 'fwd') and a backward one taking them and the output's cotangent (role 'bwd').
"""
import builtins

import gast

from .reverse import ZERO
from .setitem import own_before_restores
from .syntax import assign, call, const, load_names, name, store, store_names
from ..treewalk import copy_tree


def seed(rev, output, active, mode, shapes):
    """The output adjoint's first value (None: no active output, or a vjp's
    cotangent). Called before the reverse sweeps: the helper it binds comes first."""
    if output is None or output not in active:
        return None
    seed_expr = call(rev.rt("seed"), [name(output)]) if mode != "vjp" else None
    if shapes.get(output) == ():
        seed_expr = const(1.0)  # a scalar output: d sum(y) / dy = 1
    return seed_expr


def assemble(tree, sweeps, rev, ctx, targets, params, active, spec, fname, seed_expr):
    namer = ctx.namer
    mode = spec.mode
    output, value_name, wrt_names = targets.output, targets.value_name, targets.wrt
    pre = [assign(x, const(None)) for x in sweeps.preinit]
    if sweeps.uses_stack:
        pre.append(assign(rev.stack, gast.List(elts=[], ctx=gast.Load())))
    active_out = output is not None and output in active

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
        grads = [cast(w, grad_of(w, sweeps.final_states)) if w in params else
                 grad_of(w, sweeps.final_states) for w in wrt_names]
        result = grads[0] if spec.single else gast.Tuple(elts=grads, ctx=gast.Load())
        if mode == "value_and_grad":
            result = gast.Tuple(elts=[name(value_name), result], ctx=gast.Load())
        body.append(gast.Return(value=result))
        main = namer.fresh(("grad_" if mode == "grad" else "value_and_grad_") + fname)
        functions.append(funcdef(main, copy_tree(tree.args), body))
        return functions, {"main": main}
    grads = [grad_of(w, sweeps.final_states) for w in wrt_names]
    needed = set(sweeps.saved_names)
    for g in grads:
        needed |= load_names(g)
    primal_names = set(params)
    for st in sweeps.primal:
        primal_names |= store_names(st)
    saved = sorted((needed & primal_names) - set(sweeps.captured.values())
                   - set(ctx.helper_names()) - set(rev.adjoints.values()))
    if sweeps.uses_stack and rev.stack not in saved:
        saved.append(rev.stack)
    saved_tuple = gast.Tuple(elts=[name(s) for s in saved], ctx=gast.Load())
    # a saved name may be assigned on some paths only: give it a value on all
    preset = [assign(x, const(None)) for x in saved
              if x not in params and x not in sweeps.preinit and x != rev.stack
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
    functions.append(funcdef(fwd, copy_tree(tree.args), fwd_body))
    functions.append(funcdef(bwd, arguments([saved_param, cot]), bwd_body))
    return functions, {"fwd": fwd, "bwd": bwd}


def arguments(names):
    """Plain positional parameters `names`."""
    return gast.arguments(args=[gast.Name(id=n, ctx=gast.Param(), annotation=None,
                                          type_comment=None) for n in names],
                          posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                          kwarg=None, defaults=[])


def funcdef(name_, args, body):
    return gast.FunctionDef(name=name_, args=args, body=body or [gast.Pass()],
                            decorator_list=[], returns=None, type_comment=None,
                            type_params=[])
