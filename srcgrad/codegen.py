"""gast tree -> Python source text (astor) -> live function objects.

The text is compiled as it is printed and registered in `linecache`, so tracebacks,
pdb and profilers show the generated lines, and `srcgrad.show` prints exactly the
code that runs. Helpers (NumPy, runtime functions, callee adjoints) reach the
generated functions as closure cells; the user's closure variables are the user's
own cells, so they are read live when the gradient is called.
"""
import itertools
import linecache
import re
import types

import astor
import gast

from .transforms.optimize import fill_empty_blocks

_counter = itertools.count(1)
_COMMENT = re.compile(r"^(\s*)__srcgrad_comment__\((\d+)\)$")


def to_source(tree):
    """Source text of `tree`; comment statements (syntax.comment) become `# ...` lines."""
    texts = []

    class _Number(gast.NodeTransformer):
        def visit_Call(self, node):
            if isinstance(node.func, gast.Name) and node.func.id == "__srcgrad_comment__":
                texts.append(node.args[0].value)
                node.args = [gast.Constant(value=len(texts) - 1, kind=None)]
            return node
    fill_empty_blocks(tree)
    _Number().visit(tree)
    text = astor.to_source(gast.gast_to_ast(tree))
    lines = []
    for line in text.splitlines():
        m = _COMMENT.match(line)
        if m:
            lines.append(f"{m.group(1)}# {texts[int(m.group(2))]}".rstrip())
        elif line.strip():  # astor puts blank lines before nested defs; drop them
            lines.append(line)
    return "\n".join(lines) + "\n"


def build(text, factory_name, inner_names, helpers, fn, save_to=None):
    """Compile `text` (one factory def) and return {inner name: function}.

    `helpers` maps free names to objects; other free names must be closure
    variables of the user's function `fn`, whose cells are shared, not copied.
    """
    if save_to:
        filename = str(save_to)
        with open(filename, "w") as fh:
            fh.write(text)
    else:
        filename = f"<srcgrad {factory_name} #{next(_counter)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    module_code = compile(text, filename, "exec")
    factory = next(c for c in module_code.co_consts
                   if isinstance(c, types.CodeType) and c.co_name == factory_name)
    user_cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    out = {}
    for code in factory.co_consts:
        if not isinstance(code, types.CodeType) or code.co_name not in inner_names:
            continue
        cells = []
        for free in code.co_freevars:
            if free in helpers:
                cells.append(types.CellType(helpers[free]))
            else:
                cells.append(user_cells[free])
        func = types.FunctionType(code, fn.__globals__, code.co_name, None, tuple(cells))
        out[code.co_name] = func
    return out, filename
