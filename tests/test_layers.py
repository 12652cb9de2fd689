"""The package's layers: imports only go down, and no modules import each other in a
loop. Function-level imports count (a lazy import is still a dependency)."""
import ast
import os

import pytest

PKG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "srcgrad")

# Lowest first. A module may import modules of its own layer or of lower ones.
LAYERS = [
    ("base", ["errors", "naming", "runtime", "runtime_*", "treewalk", "transforms.syntax",
              "transforms.markers"]),
    ("rules", ["rules", "rules.*"]),
    ("analyses", ["source", "resolve", "transforms.activity", "transforms.shapes",
                  "transforms.kinds", "transforms.dtypes", "transforms.mutation"]),
    ("transforms", ["transforms", "transforms.*"]),
    ("compiler", ["literals", "codegen", "printer", "guards", "compiler", "pipeline", "cache", "diskcache"]),
    ("api", ["api", "arguments", "targets", "dispatch"]),
    ("cli", ["cli", "__main__", "__init__"]),
]


def _modules():
    out = {}
    for root, _, files in os.walk(PKG):
        for f in files:
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(root, f), PKG)[:-3].replace(os.sep, ".")
                if rel.endswith(".__init__"):
                    rel = rel[: -len(".__init__")]
                out[rel] = os.path.join(root, f)
    return out


def _layer(mod):
    import fnmatch
    best = None
    for i, (_, patterns) in enumerate(LAYERS):
        for p in patterns:
            if fnmatch.fnmatch(mod, p):
                # the most specific pattern (an exact name) wins over a wildcard
                exact = p == mod
                if best is None or exact:
                    best = (i, exact)
    if best is None:
        raise AssertionError(f"srcgrad.{mod} is in no layer: add it to LAYERS")
    return best[0]


def _imports(mod, path, known):
    tree = ast.parse(open(path).read())
    package = mod.split(".") if os.path.basename(path) == "__init__.py" else mod.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("srcgrad"):
                target = node.module[len("srcgrad."):] if node.module != "srcgrad" else ""
            else:
                continue
            names = [target + "." + a.name if target else a.name for a in node.names]
            hit = [n for n in names if n in known]
            found.update(hit or ([target] if target in known else []))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("srcgrad."):
                    t = a.name[len("srcgrad."):]
                    if t in known:
                        found.add(t)
    found.discard(mod)
    return found


def _graph():
    mods = _modules()
    return {m: _imports(m, p, mods) for m, p in mods.items()}


def test_imports_go_down():
    bad = []
    for mod, deps in _graph().items():
        if mod == "":
            continue
        for d in deps:
            if d and _layer(d) > _layer(mod):
                bad.append(f"srcgrad.{mod} ({LAYERS[_layer(mod)][0]}) imports srcgrad.{d} "
                           f"({LAYERS[_layer(d)][0]})")
    assert not bad, "\n".join(bad)


def test_no_import_circles():
    graph = _graph()
    state, stack, circles = {}, [], []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d in graph.get(m, ()):
            if state.get(d) == 1:
                circles.append(" -> ".join(stack[stack.index(d):] + [d]))
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2
    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not circles, "\n".join(circles)


@pytest.mark.parametrize("mod", sorted(_modules()))
def test_module_size(mod):
    lines = sum(1 for _ in open(_modules()[mod]))
    assert lines <= 600, f"srcgrad.{mod} has {lines} lines (the bar is ~600)"
