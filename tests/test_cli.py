"""Tests of the ``srcgrad`` command line, mostly through ``python -m srcgrad``."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from srcgrad import cli

ROOT = Path(__file__).resolve().parents[1]

MODEL = """\
import numpy as np


def loss(w, x):
    y = np.sin(w) * x
    return np.sum(y * y)


def second(a, b, c):
    return a * b + np.cos(c)
"""

TRY_EXCEPT = """\
import numpy as np


def guarded(x):
    try:
        y = np.sin(x)
    except ValueError:
        y = x
    return y
"""
TRY_LINE = 5  # line of `try:` above


def run(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-m", "srcgrad", *map(str, args)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def model(tmp_path):
    return write(tmp_path / "model.py", MODEL)


def assert_ok(res):
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr


def assert_user_error(res):
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert "srcgrad: error" in res.stderr
    assert "Traceback" not in res.stderr


def test_show_file(model, tmp_path):
    res = run("show", f"{model}:loss", cwd=tmp_path)
    assert_ok(res)
    assert "def " in res.stdout and "loss" in res.stdout
    assert "\x1b[" not in res.stdout  # auto color is off when piped


def test_show_relative_file_with_sibling_import(tmp_path):
    write(tmp_path / "sub" / "helper.py", "def square(v):\n    return v * v\n")
    write(tmp_path / "sub" / "main.py",
          "from helper import square\n\n\ndef f(x):\n    return square(x) * 3.0\n")
    res = run("show", "sub/main.py:f", cwd=tmp_path)
    assert_ok(res)
    assert "def " in res.stdout


def test_show_package_module(tmp_path):
    write(tmp_path / "pkg" / "__init__.py", "")
    write(tmp_path / "pkg" / "model.py", MODEL)
    res = run("show", "pkg.model:loss", "--wrt", "w", cwd=tmp_path)
    assert_ok(res)
    assert "def " in res.stdout and "loss" in res.stdout


@pytest.mark.parametrize("wrt", ["a,c", "0,2", "b", "1"])
def test_wrt(model, tmp_path, wrt):
    res = run("show", f"{model}:second", "--wrt", wrt, cwd=tmp_path)
    assert_ok(res)
    assert "second" in res.stdout


def test_options(model, tmp_path):
    res = run("show", f"{model}:loss", "--of", "y", "--unroll", "never", "--no-optimize",
              "--color", "never", cwd=tmp_path)
    assert_ok(res)
    assert "def " in res.stdout


def test_output_file_compiles(model, tmp_path):
    out = tmp_path / "grad_loss.py"
    res = run("show", f"{model}:loss", "-o", out, cwd=tmp_path)
    assert_ok(res)
    assert res.stdout == ""
    code = out.read_text()
    assert "def " in code
    compile(code, str(out), "exec")


def test_color_always(model, tmp_path):
    pytest.importorskip("pygments")
    res = run("show", f"{model}:loss", "--color", "always", cwd=tmp_path)
    assert_ok(res)
    assert "\x1b[" in res.stdout


@pytest.mark.parametrize("args", [["--help"], ["show", "--help"]])
def test_help(tmp_path, args):
    res = run(*args, cwd=tmp_path)
    assert res.returncode == 0
    assert "example" in res.stdout and "srcgrad show" in res.stdout


def test_missing_file(tmp_path):
    res = run("show", "nope.py:f", cwd=tmp_path)
    assert_user_error(res)
    assert "nope.py" in res.stderr


def test_missing_function(model, tmp_path):
    res = run("show", f"{model}:nothing_here", cwd=tmp_path)
    assert_user_error(res)
    assert "nothing_here" in res.stderr


def test_bad_module(tmp_path):
    res = run("show", "no_such_pkg.mod:f", cwd=tmp_path)
    assert_user_error(res)
    assert "no_such_pkg" in res.stderr


def test_bad_target(tmp_path):
    assert_user_error(run("show", "model.py", cwd=tmp_path))


def test_module_that_raises(tmp_path):
    path = write(tmp_path / "broken.py", "raise RuntimeError('boom')\n")
    res = run("show", f"{path}:f", cwd=tmp_path)
    assert_user_error(res)
    assert "boom" in res.stderr


def test_unsupported_code_reports_location(tmp_path):
    path = write(tmp_path / "guarded.py", TRY_EXCEPT)
    res = run("show", f"{path}:guarded", cwd=tmp_path)
    assert_user_error(res)
    assert "guarded.py" in res.stderr
    assert str(TRY_LINE) in res.stderr


@pytest.mark.parametrize("text, expected", [
    ("0", 0), ("x", "x"), ("0,2", (0, 2)), ("x, y", ("x", "y")), ("x,1", ("x", 1)),
])
def test_parse_wrt(text, expected):
    assert cli.parse_wrt(text) == expected


def test_main_in_process(model, capsys):
    assert cli.main(["show", f"{model}:loss", "--wrt", "w", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "def " in out and "loss" in out
    assert cli.main(["show", f"{model}:missing"]) == 2
    assert "srcgrad: error" in capsys.readouterr().err
