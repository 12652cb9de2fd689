"""The random program generator of the randomized tests: hypothesis draws Python+NumPy
programs, rendered to source text as users write them.

The grammar covers arithmetic, safe-domain elementwise functions, reductions with an
axis, broadcasting, reassignment, augmented assignment, tuple unpacking, if/elif/else on
data, bounded while loops, for loops (runtime and literal ranges, rows, enumerate, zip),
break/continue, early return, subscript reads and writes and helper functions from the
same module. In-place updates are only generated where NumPy and autograd agree on them
and srcgrad's aliasing check accepts them (`copy_aliases`).

The generated function is `f(x, s, n)`: x a float vector of length L, s a float, n an
int in range(L + 1). tests/oracle.py evaluates them against the references; the wider
grammar (containers, decorators, classes, ...) is in tests/wide_programs.py.
"""
import ast
import re

from hypothesis import strategies as st

L = 3                     # length of the vector argument x (matrices are L x L)

CONSTS = ("0.5", "2.0", "1.5", "0.25", "3.0", "0.75")
THRESHOLDS = ("0.0", "0.5", "-0.5", "1.0", "-1.0", "2.0")
IDENT_OR_VIEW = re.compile(r"([A-Za-z_]\w*)(\[[^\]]*\])?")


class Var:
    """A name the generated program can read. kind: s(calar), v(ector), m(atrix), i(nt)."""

    def __init__(self, name, kind, owned=False, index=False, buffer=False):
        self.name, self.kind = name, kind
        self.owned = owned    # holds its own array: in-place `+=` aliases nothing
        self.index = index    # an int in range(L), usable as a subscript
        self.buffer = buffer  # an np.zeros array the program writes into


class Program:
    """Draws one random program through hypothesis `draw`, as source text."""

    def __init__(self, draw, setitem=True, helpers=True, scalar_only=False):
        self.draw = draw
        self.scalar_only = scalar_only
        self.allow_setitem = setitem
        self.allow_helpers = helpers
        self.lines = []
        self.counter = 0
        self.scope = {}
        self.loop_depth = 0
        self.helpers = []          # (name, param kinds, return kind)
        self.uses_setitem = False
        self.ret_kind = "s"

    # -- drawing helpers --------------------------------------------------------------
    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def upto(self, lo, hi):
        return self.draw(st.integers(lo, hi))

    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def emit(self, indent, text):
        self.lines.append("    " * indent + text)

    def vars(self, kind, pred=None):
        return [v for v in self.scope.values() if v.kind == kind and (pred is None or pred(v))]

    # -- expressions ------------------------------------------------------------------
    def expr(self, kind, depth):
        return {"s": self.scalar, "v": self.vector, "m": self.matrix}[kind](depth)

    def computed(self, kind, depth):
        """An expression that builds a new value (never a bare name or a view)."""
        e = self.expr(kind, depth)
        return e if not IDENT_OR_VIEW.fullmatch(e) else f"({e} * 1.0)"

    def index(self):
        """A subscript that is in range for length L."""
        ints = [v.name for v in self.vars("i", lambda v: v.index)]
        return self.pick(ints + ["0", "1", "2", "-1"]) if ints else self.pick(
            ["0", "1", "2", "-1"])

    def scalar_leaf(self):
        if self.scalar_only:
            ints = [v.name for v in self.vars("i")]
            c = self.pick(["var", "const", "int"] if ints else ["var", "const"])
            if c == "var":
                return self.pick([v.name for v in self.vars("s")])
            if c == "int":
                return f"({self.pick(CONSTS)} * {self.pick(ints)})"
            return self.pick(CONSTS)
        options = ["const", "var", "sub"]
        if self.vars("m"):
            options.append("msub")
        if self.vars("i"):
            options.append("int")
        c = self.pick(options)
        if c == "var" and self.vars("s"):
            return self.pick([v.name for v in self.vars("s")])
        if c == "sub" or c == "var":
            return f"{self.pick([v.name for v in self.vars('v')])}[{self.index()}]"
        if c == "msub":
            return f"{self.pick([v.name for v in self.vars('m')])}[{self.index()}, {self.index()}]"
        if c == "int":
            return f"({self.pick(CONSTS)} * {self.pick([v.name for v in self.vars('i')])})"
        return self.pick(CONSTS)

    def unary(self, a):
        form = self.pick([
            "(-{a})", "np.sin({a})", "np.cos({a})", "np.tanh({a})", "np.exp(np.sin({a}))",
            "np.exp(np.tanh({a}))", "np.log({a} * {a} + 1.0)",
            "np.log(np.exp(np.tanh({a})) + 1.0)", "np.sqrt({a} * {a} + 1.0)",
            "np.exp(-({a}) ** 2)"])
        return form.format(a=a)

    def binary(self, a, b, both=False):
        """a op b; with `both` the result broadcasts over both operands."""
        forms = ["({a} + {b})", "({a} - {b})", "({a} * {b})", "({a} / ({b} * {b} + 1.0))",
                 "({a} / (2.0 + np.cos({b})))"]
        if not both:
            forms += ["({a} / {c})", "({a}) ** 2", "({a}) ** 3", "({a} * {a} + 1.0) ** 1.5"]
        form = self.pick(forms)
        return form.format(a=a, b=b, c=self.pick(CONSTS))

    def helper_call(self, kind, depth):
        fits = [h for h in self.helpers if h[2] == kind]
        if not fits:
            return None
        name, params, _ = self.pick(fits)
        args = ", ".join(self.expr(p, depth - 1) for p in params)
        return f"{name}({args})"

    def scalar(self, depth):
        if depth <= 0:
            return self.scalar_leaf()
        c = self.pick(["leaf", "unary", "binary"] if self.scalar_only else
                      ["leaf", "unary", "binary", "reduce", "binary", "call"])
        if c == "unary":
            return self.unary(self.scalar(depth - 1))
        if c == "binary":
            return self.binary(self.scalar(depth - 1), self.scalar(depth - 1))
        if c == "reduce":
            r = self.pick(["np.sum({v})", "np.mean({v})", "np.max({v})", "np.dot({v}, {w})",
                           "np.sum({m})", "np.max({m})"])
            return r.format(v=self.vector(depth - 1), w=self.vector(depth - 1),
                            m=self.matrix(depth - 1) if "{m}" in r else "")
        if c == "call":
            call = self.helper_call("s", depth)
            if call:
                return call
        return self.scalar_leaf()

    def vector_leaf(self):
        options = ["var", "var"]
        if self.vars("m"):
            options += ["row", "col"]
        c = self.pick(options)
        if c == "row":
            return f"{self.pick([v.name for v in self.vars('m')])}[{self.index()}]"
        if c == "col":
            return f"{self.pick([v.name for v in self.vars('m')])}[:, {self.index()}]"
        return self.pick([v.name for v in self.vars("v")])

    def vector(self, depth):
        if depth <= 0:
            return self.vector_leaf()
        c = self.pick(["leaf", "unary", "binary", "broadcast", "axis", "shuffle", "call"])
        if c == "unary":
            return self.unary(self.vector(depth - 1))
        if c == "binary":
            return self.binary(self.vector(depth - 1), self.vector(depth - 1))
        if c == "broadcast":
            v, s = self.vector(depth - 1), self.scalar(depth - 1)
            return self.binary(*self.pick([(v, s), (s, v)]), both=True)
        if c == "axis":
            r = self.pick(["np.sum({m}, axis={k})", "np.mean({m}, axis={k})",
                           "np.max({m}, axis={k})", "np.dot({m}, {v})"])
            return r.format(m=self.matrix(depth - 1), k=self.pick(["0", "1"]),
                            v=self.vector(depth - 1) if "{v}" in r else "")
        if c == "shuffle":
            v = self.vector(depth - 1)
            v = v if IDENT_OR_VIEW.fullmatch(v) else f"({v})"
            return self.pick([f"{v}[::-1]", f"np.concatenate([{v}[1:], {v}[:1]])"])
        if c == "call":
            call = self.helper_call("v", depth)
            if call:
                return call
        return self.vector_leaf()

    def matrix(self, depth):
        ms = [v.name for v in self.vars("m")]
        c = self.pick(["outer", "var", "scale", "stack"] if ms else ["outer", "stack"])
        if c == "var":
            return self.pick(ms)
        if c == "scale":
            return self.binary(self.pick(ms), self.scalar(max(depth - 1, 0)), both=True)
        if c == "stack":
            parts = ", ".join(self.vector(max(depth - 1, 0)) for _ in range(L))
            return f"np.stack([{parts}])"
        return f"np.outer({self.vector(max(depth - 1, 0))}, {self.vector(max(depth - 1, 0))})"

    # -- conditions -------------------------------------------------------------------
    def condition(self, depth=1):
        ints = self.vars("i")
        options = ["scalar", "chain"] if self.scalar_only else [
            "sum", "scalar", "chain", "max", "any"]
        if ints:
            options.append("int")
        if depth > 0:
            options += ["and", "or", "not"]
        c = self.pick(options)
        t = self.pick(THRESHOLDS)
        if c == "sum":
            return f"np.sum({self.vector(1)}) > {t}"
        if c == "scalar":
            return f"{self.scalar(1)} {self.pick(['<', '>', '<=', '>='])} {t}"
        if c == "chain":
            lo = self.pick(["-1.0", "-0.5", "0.0"])
            return f"{lo} < {self.scalar(1)} < {self.pick(['0.5', '1.0', '2.0'])}"
        if c == "max":
            return f"np.max({self.vector(1)}) < {t}"
        if c == "any":
            return f"np.any({self.vector(0)} > {t})"
        if c == "int":
            i = self.pick([v.name for v in ints])
            return self.pick([f"{i} == 1", f"{i} % 2 == 0", f"{i} > 0"])
        if c == "not":
            return f"not ({self.condition(depth - 1)})"
        return f"({self.condition(depth - 1)}) {c} ({self.condition(depth - 1)})"

    # -- statements -------------------------------------------------------------------
    def block(self, indent, count, nest, body=True):
        """A block of `count` statements; names created inside do not leak out."""
        saved = dict(self.scope)
        start = len(self.lines)
        for _ in range(count):
            self.statement(indent, nest)
        if body and len(self.lines) == start:
            self.emit(indent, "pass")
        self.scope = {k: v for k, v in self.scope.items() if k in saved}

    def unalias(self, code):
        """`code`, copied when it would alias a buffer the program writes into."""
        m = IDENT_OR_VIEW.fullmatch(code)
        if m and m.group(1) in self.scope and self.scope[m.group(1)].buffer:
            return f"({code} * 1.0)"
        return code

    def bind(self, name, kind, code):
        """Record `name = code`; a bare name or view on the right aliases both sides."""
        m = IDENT_OR_VIEW.fullmatch(code)
        if m and m.group(1) in self.scope:
            self.scope[m.group(1)].owned = False
        old = self.scope.get(name)
        if old is not None and old.kind == kind:
            old.owned = old.owned and not m
            return
        self.scope[name] = Var(name, kind, owned=not m)

    def assignable(self):
        return [v for v in self.scope.values() if v.kind in "svm" and not v.buffer]

    def statement(self, indent, nest):
        if self.scalar_only:
            return getattr(self, "stmt_" + self.pick(
                ["assign", "reassign", "aug", "if", "for_n"] if nest < 2 else
                ["assign", "reassign", "aug"]))(indent, nest)
        kinds = ["assign", "assign", "reassign", "aug", "unpack"]
        if nest < 2:
            kinds += ["if", "for_n", "for_lit", "for_rows", "for_enum", "for_zip", "while"]
        if self.loop_depth:
            kinds += ["jump"]
        if self.allow_setitem:
            kinds += ["buffer", "setitem"]
        kinds += ["return"]
        getattr(self, "stmt_" + self.pick(kinds))(indent, nest)

    def stmt_assign(self, indent, nest):
        kind = "s" if self.scalar_only else self.pick(["s", "v", "v", "m"])
        name = self.fresh({"s": "a", "v": "v", "m": "M"}[kind])
        code = self.unalias(self.expr(kind, self.upto(0, 2)))
        self.emit(indent, f"{name} = {code}")
        self.bind(name, kind, code)

    def stmt_reassign(self, indent, nest):
        target = self.pick(self.assignable())
        code = self.unalias(self.expr(target.kind, self.upto(0, 2)))
        self.emit(indent, f"{target.name} = {code}")
        self.bind(target.name, target.kind, code)

    def stmt_aug(self, indent, nest):
        # In-place ops on a shared array mean different things to NumPy and autograd.
        targets = [v for v in self.assignable() if v.kind == "s" or v.owned]
        if not targets:
            return self.stmt_assign(indent, nest)
        target = self.pick(targets)
        op = self.pick(["+=", "-=", "*="])
        rhs_kind = "s" if target.kind == "s" else self.pick(["s", target.kind])
        self.emit(indent, f"{target.name} {op} {self.expr(rhs_kind, self.upto(0, 2))}")

    def stmt_unpack(self, indent, nest):
        pool = self.assignable()
        pairs = [(a, b) for a in pool for b in pool if a is not b and a.kind == b.kind]
        if pairs and self.pick([False, True]):
            a, b = self.pick(pairs)
            self.emit(indent, f"{a.name}, {b.name} = {b.name}, {a.name}")
            a.owned = b.owned = False
            return
        kinds = [self.pick(["s", "v"]) for _ in range(2)]
        names = [self.fresh("p") for _ in kinds]
        codes = [self.unalias(self.expr(k, self.upto(0, 2))) for k in kinds]
        self.emit(indent, f"{names[0]}, {names[1]} = {codes[0]}, {codes[1]}")
        for name, kind, code in zip(names, kinds, codes):
            self.bind(name, kind, code)

    def stmt_if(self, indent, nest):
        self.emit(indent, f"if {self.condition()}:")
        self.block(indent + 1, self.upto(1, 2), nest + 1)
        for _ in range(self.upto(0, 1)):
            self.emit(indent, f"elif {self.condition()}:")
            self.block(indent + 1, self.upto(1, 2), nest + 1)
        if self.pick([True, False]):
            self.emit(indent, "else:")
            self.block(indent + 1, self.upto(1, 2), nest + 1)

    def loop(self, indent, nest, header, targets):
        self.emit(indent, header)
        saved = dict(self.scope)
        for t in targets:
            self.scope[t.name] = t
        self.loop_depth += 1
        self.block(indent + 1, self.upto(1, 3), nest + 1)
        self.loop_depth -= 1
        self.scope = {k: v for k, v in self.scope.items() if k in saved}

    def iterable(self, kind):
        """Something to iterate over; a named array being iterated is no longer owned."""
        code = self.vector(self.upto(0, 1)) if kind == "v" else self.matrix(1)
        m = IDENT_OR_VIEW.fullmatch(code)
        if m and m.group(1) in self.scope:
            if self.scope[m.group(1)].buffer:
                return f"({code} * 1.0)"
            self.scope[m.group(1)].owned = False
        return code

    def stmt_for_n(self, indent, nest):
        i = self.fresh("i")
        self.loop(indent, nest, f"for {i} in range(n):", [Var(i, "i", index=True)])

    def stmt_for_lit(self, indent, nest):
        i = self.fresh("j")
        rng = self.pick(["range(3)", "range(1, 3)", "range(0, 3, 2)", "range(2)"])
        self.loop(indent, nest, f"for {i} in {rng}:", [Var(i, "i", index=True)])

    def stmt_for_rows(self, indent, nest):
        kind = self.pick(["m", "v"])
        e = self.fresh("r" if kind == "m" else "e")
        self.loop(indent, nest, f"for {e} in {self.iterable(kind)}:",
                  [Var(e, "v" if kind == "m" else "s")])

    def stmt_for_enum(self, indent, nest):
        kind = self.pick(["m", "v"])
        i, e = self.fresh("k"), self.fresh("r" if kind == "m" else "e")
        self.loop(indent, nest, f"for {i}, {e} in enumerate({self.iterable(kind)}):",
                  [Var(i, "i", index=True), Var(e, "v" if kind == "m" else "s")])

    def stmt_for_zip(self, indent, nest):
        k1, k2 = self.pick(["m", "v"]), self.pick(["m", "v"])
        a, b = self.fresh("z"), self.fresh("z")
        self.loop(indent, nest, f"for {a}, {b} in zip({self.iterable(k1)}, {self.iterable(k2)}):",
                  [Var(a, "v" if k1 == "m" else "s"), Var(b, "v" if k2 == "m" else "s")])

    def stmt_while(self, indent, nest):
        k = self.fresh("c")
        bound = self.pick(["3", "2", "4"])
        self.emit(indent, f"{k} = 0")
        form = self.pick(["counter_and", "counter", "break"])
        if form == "counter":
            header = f"while {k} < {bound}:"
        elif form == "counter_and":
            header = self.pick([f"while {k} < {bound} and {self.condition(0)}:",
                                f"while {self.condition(0)} and {k} < {bound}:"])
        else:
            header = f"while {self.condition(0)}:"
        self.emit(indent, header)
        # The counter steps first so that a `continue` in the body cannot skip it.
        self.emit(indent + 1, f"{k} = {k} + 1")
        if form == "break":
            self.emit(indent + 1, f"if {k} > {bound}:")
            self.emit(indent + 2, "break")
        saved = dict(self.scope)
        self.loop_depth += 1
        self.block(indent + 1, self.upto(1, 3), nest + 1)
        self.loop_depth -= 1
        self.scope = {k2: v for k2, v in self.scope.items() if k2 in saved}
        self.scope[k] = Var(k, "i")

    def stmt_jump(self, indent, nest):
        self.emit(indent, f"if {self.condition()}:")
        self.emit(indent + 1, self.pick(["break", "continue"]))

    def stmt_buffer(self, indent, nest):
        kind = self.pick(["v", "m"])
        name = self.fresh("buf" if kind == "v" else "BUF")
        self.emit(indent, f"{name} = np.zeros({L if kind == 'v' else (L, L)})")
        self.scope[name] = Var(name, kind, owned=True, buffer=True)

    def stmt_setitem(self, indent, nest):
        buffers = [v for v in self.scope.values() if v.buffer]
        if not buffers:
            return self.stmt_buffer(indent, nest)
        buf = self.pick(buffers)
        op = self.pick(["=", "=", "+=", "-=", "*="])
        if buf.kind == "v":
            sub, kind = self.pick([(self.index(), "s"), (":2", "s"), ("1:", "s"), (":", "v")])
        else:
            sub, kind = self.pick([(self.index(), "v"), (f"{self.index()}, {self.index()}", "s"),
                                   (f":, {self.index()}", "v")])
        self.emit(indent, f"{buf.name}[{sub}] {op} {self.computed(kind, self.upto(0, 2))}")
        self.uses_setitem = True

    def stmt_return(self, indent, nest):
        if nest == 0 and self.helpers_done:
            return  # a top-level early return would make the rest dead code
        self.emit(indent, f"if {self.condition()}:")
        self.emit(indent + 1, f"return {self.result(self.ret_kind)}")

    def result(self, kind):
        """The returned expression: a fresh term plus a few of the live names."""
        terms = [self.computed(kind, self.upto(1, 2))]
        pool = [v for v in self.scope.values() if v.kind in "svm"]
        for _ in range(self.upto(0, 3)):
            v = self.pick(pool)
            if kind == "s":
                terms.append(v.name if v.kind == "s" else f"np.sum({v.name})")
            else:
                terms.append(f"np.mean({v.name}, axis=0)" if v.kind == "m" else v.name)
        return " + ".join(terms)

    # -- whole programs ---------------------------------------------------------------
    def helper(self):
        name = f"h{len(self.helpers)}"
        params = [self.pick(["v", "s"]) for _ in range(self.upto(1, 2))]
        ret = self.ret_kind = self.pick(["s", "v"])
        names = ["a", "b"][:len(params)]
        self.lines.append(f"def {name}({', '.join(names)}):")
        self.scope = {n: Var(n, k) for n, k in zip(names, params)}
        if "v" not in params:
            self.scope["u"] = Var("u", "v", owned=True)
            self.emit(1, f"u = np.ones({L}) * {names[0]}")
        for _ in range(self.upto(0, 2)):
            self.pick([self.stmt_assign, self.stmt_aug, self.stmt_if, self.stmt_for_lit])(1, 1)
        self.emit(1, f"return {self.computed(ret, self.upto(1, 2))}")
        self.lines.append("")
        self.helpers.append((name, params, ret))

    def function(self):
        self.helpers_done = False
        if self.allow_helpers:
            for _ in range(self.upto(0, 2)):
                self.helper()
        self.helpers_done = True
        self.ret_kind = self.pick(["s", "v"])
        self.lines.append("def f(x, s, n):")
        self.scope = {"x": Var("x", "v"), "s": Var("s", "s"), "n": Var("n", "i")}
        self.loop_depth = 0
        if self.allow_setitem:
            self.stmt_buffer(1, 0)
            written = next(v for v in self.scope.values() if v.buffer)
        self.block(1, self.upto(1, 4), 0)
        if self.allow_setitem:
            # One loop that certainly writes into the first buffer, then maybe more code.
            i = self.fresh("i")
            self.emit(1, f"for {i} in {self.pick(['range(n)', 'range(3)', 'range(1, 3)'])}:")
            self.scope[i] = Var(i, "i", index=True)
            self.scope[written.name] = written
            self.loop_depth += 1
            self.emit(2, f"{written.name}[{i}] {self.pick(['=', '+=', '-=', '*='])} "
                         f"{self.computed(written.kind == 'v' and 's' or 'v', self.upto(1, 2))}")
            self.block(2, self.upto(0, 2), 1, body=False)
            self.loop_depth -= 1
            del self.scope[i]
            self.uses_setitem = True
            self.block(1, self.upto(0, 2), 0, body=False)
            self.scope[written.name] = written
        result = self.result(self.ret_kind)
        if self.allow_setitem:
            reduce = "np.sum({})" if self.ret_kind == "s" or written.kind == "m" else "{}"
            result += " + " + reduce.format(written.name)
        self.emit(1, f"return {result}")
        return "\n".join(copy_aliases(self.lines)) + "\n"


def _base(node):
    """The name an expression may share an array with (a name, a subscript of one)."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


class _CopyAliases(ast.NodeTransformer):
    """Copies (`e * 1.0`) every name, subscript or loop source that links two names when
    either of them is updated in place somewhere."""

    def __init__(self, mutated):
        self.mutated = mutated

    def copy(self, value, *targets):
        names = {_base(value), *targets} - {None}
        if _base(value) and names & self.mutated:
            return ast.BinOp(value, ast.Mult(), ast.Constant(1.0))
        return value

    def visit_Assign(self, node):
        target = node.targets[0]
        if isinstance(target, ast.Name):
            node.value = self.copy(node.value, target.id)
        elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
            node.value.elts = [self.copy(v, _base(t))
                               for t, v in zip(target.elts, node.value.elts)]
        return node

    def visit_For(self, node):
        self.generic_visit(node)
        names = [t.id for t in ast.walk(node.target) if isinstance(t, ast.Name)]
        it = node.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and \
                it.func.id in ("enumerate", "zip"):
            it.args = [self.copy(a, *names) for a in it.args]
        else:
            node.iter = self.copy(it, *names)
        return node


def copy_aliases(lines):
    """The program text, with copies where srcgrad's aliasing check would refuse it.

    srcgrad refuses an in-place update (`a += ...`, `a[i] = ...`) of any name that shares,
    or may share, an array with another name: it checks names, not values, so it also
    refuses floats and elements read out of an array (see the regressions below)."""
    tree = ast.parse("\n".join(lines))
    mutated = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.AugAssign):
            mutated.add(_base(node.target))
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
            mutated.add(_base(node.targets[0]))
    tree = ast.fix_missing_locations(_CopyAliases(mutated - {None}).visit(tree))
    return ast.unparse(tree).splitlines()


@st.composite
def programs(draw, setitem=True, helpers=True):
    p = Program(draw, setitem=setitem, helpers=helpers)
    src = p.function()
    return src, p.uses_setitem


@st.composite
def scalar_programs(draw):
    """f(x, n) from float to float: straight-line code, if/else and for over range(n)."""
    p = Program(draw, setitem=False, helpers=False, scalar_only=True)
    p.scope = {"x": Var("x", "s"), "n": Var("n", "i")}
    p.lines.append("def f(x, n):")
    for _ in range(p.upto(1, 4)):
        p.pick([p.stmt_assign, p.stmt_reassign, p.stmt_aug, p.stmt_if, p.stmt_for_n])(1, 1)
    p.emit(1, f"return {p.computed('s', p.upto(1, 2))} + x")
    return "\n".join(copy_aliases(p.lines)) + "\n"
