"""In-place updates next to element reads: `a = x[0]; x[0] = a * 2.0`.

normalize refuses an in-place update of an array another name may share (a view),
but defers the case where every such name was read as an element, `a = x[index]`:
indexing every dimension with integers gives a scalar, a copy, not a view. Once the
shapes of the names are known (code specialized on argument shapes) this module
decides; without shapes, or where a read may be a view, the update is refused.
"""
import gast

from .shapes import expr_shape


def check_deferred_aliases(deferred, shapes, resolver):
    """Raise the first deferred aliasing error that shapes do not prove harmless.
    `shapes`: {name: shape} of the normalized function, or None when unknown."""
    for error, reads in deferred:
        if shapes is None or not all(_is_scalar_read(r, shapes, resolver) for r in reads):
            raise error


def _is_scalar_read(read, shapes, resolver):
    alias, base, index = read
    base_shape = shapes.get(base)
    if shapes.get(alias) != () or base_shape is None:
        return False
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    if len(parts) != len(base_shape):  # fewer indices than dimensions: a view
        return False
    for p in parts:
        if isinstance(p, gast.Slice) or isinstance(p, gast.Constant) and (
                p.value is None or p.value is Ellipsis):
            return False
        # a scalar index is an integer (or a bool, which adds a dimension) and each
        # consumes one dimension; an array index makes a copy
        if expr_shape(p, shapes, resolver) is None:
            return False
    return True
