"""Fast tree traversal and copying for gast trees (the compiler's hot loops).

`walk` yields exactly what `ast.walk` yields, in the same breadth-first order,
and, like it, reads a node's children before yielding the node. `copy_tree`
gives the same result as `copy.deepcopy` (shared nodes stay shared in the copy),
without the generic pickling protocol.
"""
import copy
from ast import AST
from collections import deque

_ATOMS = (str, int, float, bool, type(None), bytes, complex)


def walk(node):
    todo = deque([node])
    pop, push = todo.popleft, todo.append
    while todo:
        node = pop()
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, AST):
                push(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, AST):
                        push(item)
        yield node


def copy_tree(node, memo=None):
    return _copy(node, {} if memo is None else memo)


def _copy(value, memo):
    if type(value) in _ATOMS:
        return value
    key = id(value)
    done = memo.get(key)
    if done is not None:
        return done
    if isinstance(value, AST):
        new = type(value)()  # as deepcopy rebuilds a node: called without arguments
        memo[key] = new
        _keep_alive(value, memo)
        state = new.__dict__
        for k, v in value.__dict__.items():
            state[k] = v if type(v) in _ATOMS else _copy(v, memo)
        return new
    if type(value) is list:
        new = []
        memo[key] = new
        _keep_alive(value, memo)
        append = new.append
        for v in value:
            append(v if type(v) in _ATOMS else _copy(v, memo))
        return new
    return copy.deepcopy(value, memo)


def _keep_alive(value, memo):
    """What deepcopy does: the originals stay alive while `memo` keys on their ids."""
    try:
        memo[id(memo)].append(value)
    except KeyError:
        memo[id(memo)] = [value]
