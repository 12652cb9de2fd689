"""Walking a tree with parent links, for rewrites in place without a NodeTransformer
(which visits every node through generic dispatch) or a copy of the tree.

`walk_parents(root)` yields (node, parent, field, index) in `treewalk.walk`'s
breadth-first order, so its reverse visits every node's children before the node
(the order of a NodeTransformer's post-order rewrites), and `parent_list(root)` lists
them; `nodes_and_calls(root)` gives the nodes (contexts and operators left out) and the
Call nodes' entries only;
`put(parent, field, index, node)` puts `node` where the yielded one was.
"""
import gast

from ..treewalk import CHILD_FIELDS


def walk_parents(root):
    """(node, parent, field, index) in `walk`'s order; index is None for a node held
    directly in a field, else its position in the field's list; the root's parent,
    field and index are None."""
    todo = [(root, None, None, None)]
    i = 0
    while i < len(todo):
        entry = todo[i]
        i += 1
        node = entry[0]
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, gast.AST):
                todo.append((value, node, field, None))
            elif isinstance(value, list):
                for k, item in enumerate(value):
                    if isinstance(item, gast.AST):
                        todo.append((item, node, field, k))
        yield entry


def parent_list(root):
    """`list(walk_parents(root))`, built without a generator step per node (a list
    read while it grows is the breadth-first queue, never shifted)."""
    found = [(root, None, None, None)]
    push = found.append
    ast = gast.AST
    for entry in found:
        node = entry[0]
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, ast):
                push((value, node, field, None))
            elif isinstance(value, list):
                k = 0
                for item in value:
                    if isinstance(item, ast):
                        push((item, node, field, k))
                    k += 1
    return found


def nodes_and_calls(root):
    """(the nodes in `walk`'s order but for contexts and operators, the
    `walk_parents` entries of the Call nodes among them in that order): for passes
    that inspect expressions and statements but rewrite calls only, without an
    entry per node. Contexts and operators have no children: leaving them out
    changes no other node's place in the order."""
    nodes = [root]
    calls = [(root, None, None, None)] if isinstance(root, gast.Call) else []
    push, keep = nodes.append, calls.append
    ast, call, fields_of = gast.AST, gast.Call, CHILD_FIELDS
    for node in nodes:
        for field in fields_of[node.__class__]:
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
    return nodes, calls



def put(parent, field, index, node):
    if index is None:
        setattr(parent, field, node)
    else:
        getattr(parent, field)[index] = node

