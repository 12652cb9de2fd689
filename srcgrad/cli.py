"""Command-line interface: ``srcgrad show TARGET`` prints a generated gradient."""

import argparse
import contextlib
import importlib
import importlib.util
import itertools
import os
import sys

import srcgrad

EXAMPLE = """\
example:
  $ cat model.py
  import numpy as np

  def loss(w, x):
      return np.sum(np.tanh(x @ w) ** 2)

  $ srcgrad show model.py:loss --wrt w        # gradient of loss w.r.t. w
  $ srcgrad show mypkg.model:loss --wrt 0,1   # both arguments -> tuple
  $ srcgrad show model.py:loss -o grad_loss.py
"""

UNROLL = {"auto": "auto", "always": True, "never": False}

# Each file load gets a fresh module name, so loading two files with the same
# stem (or one file twice, in-process) never hands back a stale module.
_counter = itertools.count()


class UsageError(Exception):
    """A mistake on the command line or in the user's module: exit status 2."""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="srcgrad",
        description="srcgrad: source-to-source reverse-mode automatic differentiation "
        "for Python and NumPy.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXAMPLE,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    show = commands.add_parser(
        "show",
        help="print the generated gradient code of a function",
        description="Print the Python source that srcgrad generates for the gradient "
        "of FUNC.\nThe output is exactly the code that runs when you call "
        "srcgrad.grad(FUNC).\n\nTo find FUNC, srcgrad imports its module: PATH.py:FUNC runs the "
        "file and\npackage.module:FUNC imports the module, so their top-level code runs "
        "(as with\n`python PATH.py`, minus the `if __name__ == \"__main__\":` block). Only "
        "show code\nyou would run.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXAMPLE,
    )
    show.add_argument(
        "target", metavar="TARGET",
        help="the function to differentiate: PATH.py:FUNC or package.module:FUNC "
        "(imported: its module's top-level code runs)",
    )
    show.add_argument(
        "--wrt", default="0", metavar="ARGS",
        help="argument names or positions to differentiate with respect to, "
        "comma-separated, e.g. 'x' or '0,2' (default: 0)",
    )
    show.add_argument(
        "--of", metavar="NAME",
        help="differentiate this local variable (name), or this element of a "
        "returned tuple (integer), instead of the return value",
    )
    show.add_argument(
        "--unroll", choices=UNROLL, default="auto",
        help="unroll loops with a constant trip count (default: auto)",
    )
    show.add_argument(
        "--no-optimize", dest="optimize", action="store_false",
        help="skip the clean-up passes on the generated code",
    )
    show.add_argument("-o", "--output", metavar="FILE", help="write the code to FILE instead of stdout")
    show.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto",
        help="syntax highlighting with Pygments; auto = only on a terminal (default: auto)",
    )
    return parser


def _int_or_name(text):
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else text


def parse_wrt(text):
    """'x' -> 'x', '0' -> 0, '0,y' -> (0, 'y')."""
    items = [_int_or_name(part) for part in text.split(",") if part.strip()]
    if not items:
        raise UsageError(f"--wrt needs at least one name or position, got {text!r}")
    return items[0] if len(items) == 1 else tuple(items)


@contextlib.contextmanager
def _on_sys_path(directory):
    """Put directory first on sys.path while the user's code is loaded and read."""
    sys.path.insert(0, directory)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(directory)


def _describe(exc):
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}: SyntaxError: {exc.msg}"
    return f"{type(exc).__name__}: {exc}"


def load_file(path):
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")
    stem = os.path.splitext(os.path.basename(path))[0]
    name = f"_srcgrad_cli_{next(_counter)}_{stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    # inspect.getsource finds the file through sys.modules[fn.__module__].
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise UsageError(f"running {path} failed: {_describe(exc)}") from exc
    return module


def load_module(name):
    try:
        return importlib.import_module(name)
    except Exception as exc:  # missing module, or the module itself raised
        raise UsageError(f"cannot import {name!r}: {_describe(exc)}") from exc


def resolve(target):
    """Load TARGET ('file.py:func' or 'pkg.mod:func') and return the function."""
    where, colon, attr = target.rpartition(":")
    if not colon or not where or not all(p.isidentifier() for p in attr.split(".")):
        raise UsageError(f"TARGET must look like PATH.py:FUNC or package.module:FUNC, got {target!r}")
    is_file = where.endswith(".py") or "/" in where or os.sep in where
    path = os.path.abspath(where) if is_file else os.getcwd()
    with _on_sys_path(os.path.dirname(path) if is_file else path):
        module = load_file(path) if is_file else load_module(where)
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            funcs = sorted(k for k, v in vars(module).items()
                           if callable(v) and getattr(v, "__module__", None) == module.__name__)
            hint = f" (functions defined there: {', '.join(funcs)})" if funcs else ""
            raise UsageError(f"{where} has no function {attr!r}{hint}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise UsageError(f"{where}:{attr} is a {type(obj).__name__}, not a function")
    return obj


def highlight(code, mode):
    """Return code with ANSI colors if mode (and the terminal) asks for it."""
    if mode == "never" or (mode == "auto" and not sys.stdout.isatty()):
        return code
    try:
        import pygments
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        if mode == "always":
            print("srcgrad: warning: --color=always needs Pygments "
                  "(pip install 'srcgrad[color]'); printing plain text", file=sys.stderr)
        return code
    return pygments.highlight(code, PythonLexer(), TerminalFormatter())


def show(args):
    fn = resolve(args.target)
    options = dict(wrt=parse_wrt(args.wrt), optimize=args.optimize, unroll=UNROLL[args.unroll])
    if args.of is not None:
        options["of"] = _int_or_name(args.of)
    code = srcgrad.show(fn, **options)
    if not code.endswith("\n"):
        code += "\n"
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(code)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror}") from exc
    else:
        sys.stdout.write(highlight(code, args.color))


def main(argv=None):
    """Entry point of the ``srcgrad`` console script; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help or a usage error, already printed by argparse
        return exc.code
    try:
        show(args)
    except (UsageError, srcgrad.SrcgradError) as exc:
        print(f"srcgrad: error: {exc}", file=sys.stderr)
        return 2
    return 0
