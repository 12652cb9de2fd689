"""The wide-grammar random program generator: whole modules written as users write them,
with the constructs that live around the arithmetic rather than in it.

Each program is a module defining `f(x, s, n[, c])` (x a float vector of length L, s a
float, n an int, c an optional container: a list of two vectors, a (vector, float) tuple
or a NamedTuple with fields w, b) plus whatever the drawn features need at module level.
A program is a sequence of features; each one binds a new local of kind "s" (float) or
"v" (vector) from the live ones, and the return value adds them all up:

  arith       plain NumPy arithmetic
  helper      a module-level helper: defaults, keyword-only, *args, **kwargs, called
              positionally, by keyword, with *[...] or **{...}
  decorated   a callee behind decorators (functools.wraps or not, factories, stacked)
  partial     functools.partial of a helper or of a NumPy function
  method      bound methods, static and class methods of a small class
  patched     a module global callee that the test rebinds between calls (`patches`)
  complex     complex intermediates with a real result
  string      string constants of every shape (docstrings, f-strings, bytes, raw, ...)
  container   local lists (reverse), tuples, dicts, comprehensions
  setitem     subscript assignment with repeated indices
  sort        the in-place x.sort()
  shadow      a builtin (sum, max, min, abs, pow) rebound at module level
  namedtuple  a NamedTuple built and read inside f

Randomness comes from a numpy Generator seeded with the program's number, so program k
is the same program on every machine (tests/test_random_wide.py, tests/census.py).
"""
import numpy as np

L = 3
FEATURES = ("arith", "helper", "decorated", "partial", "method", "patched", "complex",
            "string", "container", "setitem", "sort", "shadow", "namedtuple")

# String literals of every shape, as source text (each must be a valid expression).
STRINGS = (
    "''", "'a'", '"it\'s"', "'say \"hi\"'", "'''triple'''", '"""two\nlines"""',
    "r'\\d+\\s*'", "b'bytes'", "f'{1.5:.3f}'", "f\"{'nested'}\"", "'\\n\\t\\\\'",
    "'ünï∂øde'", "'# not a comment'", "'x = x * 2'", "'\"\"\"'", "'a' 'b'",
    "('implicit '\n        'continuation')", "'\\x00\\u1234'", "'def f(x):'",
    "'return x'", "'''\n    indented\n        more\n'''", "u'prefixed'", "'s' * 3",
    "'%s-%d' % ('a', 2)", "'{}'.format(7)", "'  spaces  '.strip()", "'(' + ')' * 2",
)
CONSTS = ("0.5", "2.0", "1.5", "0.25", "0.75", "3.0")
CONTAINERS = (None, "list", "tuple", "namedtuple")


class Chooser:
    """The program's source of randomness."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def pick(self, options):
        options = list(options)
        return options[int(self.rng.integers(len(options)))]

    def upto(self, lo, hi):
        return int(self.rng.integers(lo, hi + 1))

    def chance(self, p):
        return bool(self.rng.random() < p)


class WideProgram:
    """One random module. `source` is its text, `container` the kind of the optional
    fourth parameter, `patches` the (global, replacement) rebinds the test applies
    between calls, `features` what was drawn."""

    def __init__(self, seed, features=None, container="random", length=None):
        self.c = Chooser(seed)
        self.defs = []                  # module-level blocks
        self.body = []                  # lines of f's body (without indentation)
        self.pool = {}                  # live local name -> kind
        self.new = []                   # names the features bound (all returned)
        self.count = 0
        self.patches = []
        self.once = set()               # module-level definitions already emitted
        self.shadowed = set()
        self.container = self.c.pick(CONTAINERS) if container == "random" else container
        allowed = features or FEATURES
        n = length or self.c.upto(1, 4)
        self.features = [self.c.pick(allowed) for _ in range(n)]
        self._start()
        for feat in self.features:
            getattr(self, "feat_" + feat)()
        self.source = self._render()

    # -- small helpers --------------------------------------------------------------
    def fresh(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def define(self, key, text):
        if key not in self.once:
            self.once.add(key)
            self.defs.append(text.strip("\n"))

    def bind(self, name, kind, code):
        self.body.append(f"{name} = {code}")
        self.pool[name] = kind
        self.new.append(name)

    def names(self, kind):
        return [n for n, k in self.pool.items() if k == kind]

    # -- expressions ------------------------------------------------------------------
    def leaf(self, kind):
        if kind == "s" and self.c.chance(0.3):
            v = self.c.pick(self.names("v"))
            return self.c.pick([f"{v}[{self.c.upto(0, L - 1)}]", f"np.sum({v})",
                                f"np.mean({v})"])
        if self.c.chance(0.15):
            return self.c.pick(CONSTS) if kind == "s" else \
                f"np.array([{', '.join(self.c.pick(CONSTS) for _ in range(L))}])"
        return self.c.pick(self.names(kind))

    def expr(self, kind, depth=1):
        if depth <= 0:
            return self.leaf(kind)
        form = self.c.pick(["leaf", "unary", "binary", "binary", "mix"])
        if form == "leaf":
            return self.leaf(kind)
        if form == "unary":
            return self.c.pick([
                "np.sin({a})", "np.cos({a})", "np.tanh({a})", "np.exp(np.tanh({a}))",
                "({a}) ** 2", "np.sqrt({a} * {a} + 1.0)", "np.log({a} * {a} + 1.0)",
                "(-{a})"]).format(a=self.expr(kind, depth - 1))
        if form == "mix" and kind == "v":
            a, b = self.expr("v", depth - 1), self.expr("s", depth - 1)
            return self.c.pick(["({a} * {b})", "({b} - {a})", "({a} / ({b} * {b} + 1.0))"]
                               ).format(a=a, b=b)
        if form == "mix":
            return f"np.dot({self.expr('v', depth - 1)}, {self.expr('v', depth - 1)})"
        a, b = self.expr(kind, depth - 1), self.expr(kind, depth - 1)
        return self.c.pick(["({a} + {b})", "({a} - {b})", "({a} * {b})",
                            "({a} / ({b} * {b} + 1.0))"]).format(a=a, b=b)

    def helper_body(self, params, kind):
        """An expression over `params` (name -> kind) only, of `kind`."""
        saved = self.pool
        self.pool = dict(params)
        if not self.names("v"):
            self.pool["np.ones(3)"] = "v"
        if not self.names("s"):
            self.pool["0.5"] = "s"
        try:
            return self.expr(kind, self.c.upto(1, 2))
        finally:
            self.pool = saved

    # -- the function -------------------------------------------------------------------
    def _start(self):
        self.params = ["x", "s", "n"] + (["c"] if self.container else [])
        self.pool = {"x": "v", "s": "s"}
        if self.container == "namedtuple":
            self.define("typing", "from typing import NamedTuple")
            self.define("Pair", "class Pair(NamedTuple):\n    w: object\n    b: float")
        c = self.container
        if c == "list":
            form = self.c.pick(["c0 = c[0]\nc1 = c[1]", "c0, c1 = c", "c0 = c[-2]\nc1 = c[-1]"])
            kinds = ("v", "v")
        elif c == "tuple":
            form = self.c.pick(["c0 = c[0]\nc1 = c[1]", "c0, c1 = c"])
            kinds = ("v", "s")
        elif c == "namedtuple":
            form = self.c.pick(["c0 = c.w\nc1 = c.b", "c0, c1 = c", "c0 = c[0]\nc1 = c.b"])
            kinds = ("v", "s")
        if c:
            self.body += form.split("\n")
            self.pool.update(c0=kinds[0], c1=kinds[1])

    def _render(self):
        out_kind = self.c.pick(["s", "v"])
        terms = [self.expr(out_kind, 1)]
        for name in self.new:
            kind = self.pool[name]
            terms.append(name if kind == out_kind or out_kind == "v" else f"np.sum({name})")
        body = list(self.body)
        if self.c.chance(0.3):
            body.append(f"for i in range(n):\n    {self.new[-1] if self.new else 'x'} = "
                        f"{self.new[-1] if self.new else 'x'} * 0.5")
        lines = ["import functools", "import numpy as np", ""]
        for d in self.defs:
            lines += [d, "", ""]
        doc = self.c.pick([None, '"""The differentiated function."""',
                           "'''f: x -> y, \"quoted\", \\'escaped\\''''"])
        lines.append(f"def f({', '.join(self.params)}):")
        if doc:
            lines.append("    " + doc)
        for stmt in body:
            lines += ["    " + ln for ln in stmt.split("\n")]
        lines.append("    return " + " + ".join(terms))
        self.out_kind = out_kind
        return "\n".join(lines) + "\n"

    # -- features ---------------------------------------------------------------------
    def feat_arith(self):
        kind = self.c.pick("sv")
        self.bind(self.fresh("t"), kind, self.expr(kind, self.c.upto(1, 2)))

    def _helper(self, name, kind):
        """Defines helper `name` of a random signature; returns a call-site maker."""
        form = self.c.pick(["plain", "default", "kwonly", "args", "kwargs", "both"])
        ka, kb = self.c.pick("sv"), self.c.pick("sv")
        params = {"a": ka, "b": kb}
        if form == "args":
            body = self.helper_body(params, kind)
            self.defs.append(f"def {name}(*args):\n    a, b = args[0], args[1]\n"
                             f"    return {body}")
        elif form == "kwargs":
            body = self.helper_body(params, kind)
            default = "np.ones(3)" if kb == "v" else "1.0"   # b's kind when omitted
            self.defs.append(f"def {name}(a, **kw):\n    b = kw.get('b', {default})\n"
                             f"    return {body}")
        elif form == "both":
            body = self.helper_body(params, kind)
            self.defs.append(f"def {name}(*args, **kw):\n    a = args[0]\n"
                             f"    b = kw['b'] if 'b' in kw else args[1]\n    return {body}")
        else:
            sig = {"plain": "a, b", "default": "a, b=0.5", "kwonly": "a, *, b=0.5"}[form]
            if form != "plain" and kb == "v":
                sig = sig.replace("0.5", "np.ones(3)")
            self.defs.append(f"def {name}({sig}):\n    return {self.helper_body(params, kind)}")

        def call(callee=name):
            a, b = self.expr(ka, 1), self.expr(kb, 1)
            shapes = {"plain": ["{f}({a}, {b})", "{f}(b={b}, a={a})", "{f}(*[{a}, {b}])",
                                "{f}(*({a},), **{{'b': {b}}})"],
                      "default": ["{f}({a}, {b})", "{f}({a}, b={b})", "{f}({a})"],
                      "kwonly": ["{f}({a}, b={b})", "{f}({a})"],
                      "args": ["{f}({a}, {b})", "{f}(*({a}, {b}))", "{f}({a}, {b}, 7)"],
                      "kwargs": ["{f}({a}, b={b})", "{f}({a})", "{f}(a={a}, b={b})",
                                 "{f}({a}, **{{'b': {b}}})"],
                      "both": ["{f}({a}, b={b})", "{f}({a}, {b})", "{f}(*[{a}], b={b})"]}
            return self.c.pick(shapes[form]).format(f=callee, a=a, b=b)
        return call

    def feat_helper(self):
        kind = self.c.pick("sv")
        call = self._helper(self.fresh("h"), kind)
        self.bind(self.fresh("t"), kind, call())

    def feat_decorated(self):
        kind = self.c.pick("sv")
        style = self.c.pick(["wraps", "scale", "factory", "nowraps", "stacked", "kwpass"])
        decos = {
            "wraps": ("passthrough", "def passthrough(fn):\n    @functools.wraps(fn)\n"
                      "    def wrapper(*args, **kwargs):\n        return fn(*args, **kwargs)\n"
                      "    return wrapper"),
            "scale": ("doubled", "def doubled(fn):\n    @functools.wraps(fn)\n"
                      "    def wrapper(*args):\n        return 2.0 * fn(*args)\n"
                      "    return wrapper"),
            "factory": ("scaled(0.5)", "def scaled(k):\n    def deco(fn):\n"
                        "        @functools.wraps(fn)\n        def wrapper(a, b):\n"
                        "            return fn(a, b) * k\n        return wrapper\n"
                        "    return deco"),
            "nowraps": ("plain_deco", "def plain_deco(fn):\n    def wrapper(a, b):\n"
                        "        return fn(a, b)\n    return wrapper"),
            "kwpass": ("kwpass", "def kwpass(fn):\n    @functools.wraps(fn)\n"
                       "    def wrapper(a, b, **kw):\n        return fn(a, b, **kw)\n"
                       "    return wrapper"),
        }
        names = ["wraps", "scale"] if style == "stacked" else [style]
        lines = []
        for key in names:
            deco, text = decos[key]
            self.define(key, text)
            lines.append("@" + deco)
        name = self.fresh("g")
        ka, kb = self.c.pick("sv"), self.c.pick("sv")
        lines.append(f"def {name}(a, b):")
        lines.append(f"    return {self.helper_body({'a': ka, 'b': kb}, kind)}")
        self.defs.append("\n".join(lines))
        self.bind(self.fresh("t"), kind, f"{name}({self.expr(ka, 1)}, {self.expr(kb, 1)})")

    def feat_partial(self):
        kind = self.c.pick("sv")
        form = self.c.pick(["global", "global_kw", "local", "numpy"])
        if form == "numpy":
            fn = self.c.pick(["np.multiply, 1.5", "np.add, 0.25", "np.power, 2.0"])
            if fn.startswith("np.power"):
                fn = "np.power"   # partial(np.power, 2.0) is 2**u: fine, and p(u, 2.0)
            name = self.fresh("P")
            self.defs.append(f"{name} = functools.partial({fn})")
            args = (f"{self.expr(kind, 1)}, 2.0" if fn == "np.power" else self.expr(kind, 1))
            self.bind(self.fresh("t"), kind, f"{name}({args})")
            return
        h = self.fresh("h")
        ka = self.c.pick("sv")
        self.defs.append(f"def {h}(a, b, scale=1.0):\n"
                         f"    return {self.helper_body({'a': ka, 'b': 's'}, kind)} * scale")
        if form == "local":
            self.bind(self.fresh("t"), kind, f"functools.partial({h}, scale=2.0)"
                                             f"({self.expr(ka, 1)}, {self.expr('s', 1)})")
            return
        name = self.fresh("P")
        bound = "b=0.75" if form == "global_kw" else "scale=0.5"
        self.defs.append(f"{name} = functools.partial({h}, {bound})")
        rest = "" if form == "global_kw" else f", {self.expr('s', 1)}"
        self.bind(self.fresh("t"), kind, f"{name}({self.expr(ka, 1)}{rest})")

    def feat_method(self):
        self.define("Affine", """
class Affine:
    def __init__(self, w, b):
        self.w = w
        self.b = b

    def apply(self, u):
        return u * self.w + self.b

    def twice(self, u):
        return self.apply(self.apply(u))

    @staticmethod
    def square(u):
        return u * u

    @classmethod
    def unit(cls, w):
        return cls(w, 0.0)
""")
        inst = self.fresh("AFF")
        self.defs.append(f"{inst} = Affine({self.c.pick(CONSTS)}, {self.c.pick(CONSTS)})")
        kind = self.c.pick("sv")
        e = self.expr(kind, 1)
        form = self.c.pick(["apply", "twice", "static", "classm", "alias", "local"])
        if form == "alias":
            alias = self.fresh("APPLY")
            self.defs.append(f"{alias} = {inst}.apply")
            code = f"{alias}({e})"
        else:
            code = {"apply": f"{inst}.apply({e})", "twice": f"{inst}.twice({e})",
                    "static": f"Affine.square({e})", "classm": f"Affine.unit(2.0).apply({e})",
                    "local": f"Affine(0.5, {self.expr('s', 0)}).apply({e})"}[form]
        self.bind(self.fresh("t"), kind, code)

    def feat_patched(self):
        kind = self.c.pick("sv")
        a, b, g = self.fresh("hp"), self.fresh("hp"), self.fresh("H")
        ka = self.c.pick("sv")
        for name in (a, b):
            self.defs.append(f"def {name}(u):\n    return {self.helper_body({'u': ka}, kind)}")
        self.defs.append(f"{g} = {a}")
        self.patches.append((g, b))
        self.bind(self.fresh("t"), kind, f"{g}({self.expr(ka, 1)})")

    def feat_complex(self):
        kind = self.c.pick("sv")
        z = self.fresh("z")
        self.body.append(f"{z} = {self.expr(kind, 1)} * ({self.c.pick(CONSTS)} + 0.5j) + "
                         f"1j * {self.expr(kind, 1)}")
        code = self.c.pick(["np.real({z} * {z})", "np.abs({z})", "{z}.real * {z}.imag",
                            "np.real(np.exp(1j * {z}))", "np.imag({z} ** 2)",
                            "({z} * np.conj({z})).real", "np.abs({z}) ** 2",
                            "np.real({z}) + np.imag({z})", "({z} * {z}.conjugate()).real"])
        self.bind(self.fresh("t"), kind, code.format(z=z))

    def feat_string(self):
        lit = self.c.pick(STRINGS)
        form = self.c.pick(["len", "stmt", "compare", "dict_key", "docstring_helper"])
        e = self.expr("s", 1)
        if form == "len":
            name = self.fresh("label")
            self.body.append(f"{name} = {lit}")
            self.bind(self.fresh("t"), "s", f"{e} * len({name})")
        elif form == "stmt":
            self.body.append(lit)
            self.bind(self.fresh("t"), "s", e)
        elif form == "compare":
            name = self.fresh("mode")
            self.body.append(f"{name} = {lit}")
            self.body.append(f"if {name} == {lit}:\n    {name} = 'same'\nelse:\n"
                             f"    {name} = 'other'")
            self.bind(self.fresh("t"), "s", f"{e} * (2.0 if {name} == 'same' else 3.0)")
        elif form == "dict_key":
            name = self.fresh("d")
            self.body.append(f"{name} = {{{lit}: {e}, 'other': 1.0}}")
            self.bind(self.fresh("t"), "s", f"{name}[{lit}] * 2.0")
        else:
            h = self.fresh("h")
            self.defs.append(f"def {h}(a):\n    {lit}\n    return a * 2.0")
            self.bind(self.fresh("t"), "s", f"{h}({e})")

    def feat_container(self):
        kind = self.c.pick("sv")
        a, b = self.expr(kind, 1), self.expr(kind, 1)
        name = self.fresh("l")
        form = self.c.pick(["reverse", "tuple", "dict", "comp", "nested", "index_expr"])
        if form == "reverse":
            self.body.append(f"{name} = [{a}, {b}]")
            self.body.append(f"{name}.reverse()")
            code = f"{name}[0] * 2.0 + {name}[1]"
        elif form == "tuple":
            p, q = self.fresh("p"), self.fresh("q")
            self.body.append(f"{name} = ({a}, {b})")
            self.body.append(f"{p}, {q} = {name}")
            code = f"{p} * {q}"
        elif form == "dict":
            self.body.append(f"{name} = {{'a': {a}, 'b': {b}}}")
            code = f"{name}['a'] * {name}['b']"
        elif form == "comp":
            self.body.append(f"{name} = [{a} * k for k in (1.0, 2.0, 3.0)]")
            code = f"{name}[0] + {name}[2] * {name}[1]"
        elif form == "nested":
            self.body.append(f"{name} = [({a}, 2.0), ({b}, 3.0)]")
            code = f"{name}[0][0] * {name}[1][1] + {name}[1][0]"
        else:
            self.body.append(f"{name} = [{a}, {b}]")
            code = f"{name}[n % 2] + {name}[-1]"
        self.bind(self.fresh("t"), kind, code)

    def feat_setitem(self):
        buf = self.fresh("buf")
        self.body.append(f"{buf} = np.zeros({L})")
        for _ in range(self.c.upto(1, 2)):
            sub, kind = self.c.pick([("[0, 0, 2]", "v"), ("np.array([1, 1, 0])", "v"),
                                     ("[2, 2]", "s"), ("0", "s"), ("[0, 1, 0]", "v"),
                                     ("IDX", "v"), ("::2", "s")])
            if sub == "IDX":
                self.define("IDX", "IDX = np.array([2, 0, 2])")
            op = self.c.pick(["=", "+=", "*=", "-="])
            self.body.append(f"{buf}[{sub}] {op} {self.expr(kind, 1)}")
        self.bind(self.fresh("t"), "v", f"{buf} * 1.0")

    def feat_sort(self):
        w = self.fresh("w")
        form = self.c.pick(["method", "method_copy", "function", "method_axis"])
        e = self.expr("v", 1)
        if form == "function":
            self.bind(self.fresh("t"), "v", f"np.sort({e}) * np.array([1.0, 2.0, 3.0])")
            return
        self.body.append(f"{w} = {e} * 1.0" if form != "method_copy" else
                         f"{w} = np.copy({e})")
        self.body.append(f"{w}.sort()" if form != "method_axis" else f"{w}.sort(axis=0)")
        self.bind(self.fresh("t"), "v", f"{w} * np.array([1.0, 2.0, 3.0])")

    def feat_shadow(self):
        options = {"sum": ("sum = np.prod", "v", "s"), "max": ("max = np.min", "v", "s"),
                   "abs": ("abs = np.tanh", "v", "v"),
                   "min": ("def min(a, b):\n    return a * b", "s", "s"),
                   "pow": ("pow = np.multiply", "v", "v")}
        free = [k for k in options if k not in self.shadowed]
        if not free:
            return self.feat_arith()
        name = self.c.pick(free)
        self.shadowed.add(name)
        text, arg, res = options[name]
        self.define(name, text)
        args = f"{self.expr(arg, 1)}, {self.expr(arg, 1)}" if name in ("min", "pow") else \
            self.expr(arg, 1)
        self.bind(self.fresh("t"), res, f"{name}({args})")

    def feat_namedtuple(self):
        self.define("typing", "from typing import NamedTuple")
        self.define("Point", "class Point(NamedTuple):\n    w: object\n    b: float = 1.0")
        q = self.fresh("q")
        self.body.append(self.c.pick([f"{q} = Point({self.expr('v', 1)}, {self.expr('s', 1)})",
                                      f"{q} = Point(w={self.expr('v', 1)})",
                                      f"{q} = Point({self.expr('v', 1)})._replace("
                                      f"b={self.expr('s', 1)})"]))
        code = self.c.pick([f"{q}.w * {q}.b", f"{q}[0] + {q}[1]", f"{q}.w * {q}[1]"])
        self.bind(self.fresh("t"), "v", code)


def arguments(seed, container):
    """The arguments of f: x, s, n[, c], fresh for every call (from `seed`)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, size=L)
    s = float(rng.uniform(-1.5, 1.5))
    n = int(rng.integers(0, L + 1))
    args = [x, s, n]
    if container == "list":
        args.append([rng.uniform(-1.5, 1.5, size=L), rng.uniform(-1.5, 1.5, size=L)])
    elif container in ("tuple", "namedtuple"):
        args.append((rng.uniform(-1.5, 1.5, size=L), float(rng.uniform(-1.5, 1.5))))
    return args
