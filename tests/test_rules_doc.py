"""docs/rules.md, the list of supported functions, is the registry's: this test fails
when a rule is added or removed without regenerating it
(`SRCGRAD_WRITE_DOCS=1 python -m pytest tests/test_rules_doc.py`), and when the count
README.md quotes is stale."""
import os
import pathlib
import re

from srcgrad.rules import registry
from test_rule_forms import label

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "rules.md"

SECTIONS = {  # defining module -> heading, in the order shown
    "srcgrad.rules.numpy.elementwise": "NumPy: elementwise",
    "srcgrad.rules.numpy.reductions": "NumPy: reductions",
    "srcgrad.rules.numpy.products": "NumPy: products",
    "srcgrad.rules.numpy.linalg": "NumPy: linear algebra",
    "srcgrad.rules.numpy.shape": "NumPy: shapes",
    "srcgrad.rules.numpy.creation": "NumPy: constructors",
    "srcgrad.rules.builtins": "Python operators and builtins",
    "srcgrad.rules.math": "The math module",
}


def render():
    tangents = {registry._key(p) for p, _ in registry.registered(True, kind="tangent")}
    rows = {m: [] for m in SECTIONS}
    for p, rule in registry.registered(builtin_only=True):
        if rule.module in rows:  # srcgrad's own run-time helpers are not for users
            modes = "adjoint, tangent" if registry._key(p) in tangents else "adjoint"
            rows[rule.module].append(f"| `{label(p)}` | {modes} |")
    count = sum(len(r) for r in rows.values())
    out = ["# Supported functions", "",
           f"srcgrad has derivative rules for {count} functions, operators and methods "
           "(`ndarray.x` is the method or attribute `x` of an array). Generated from the "
           "registry (`srcgrad/rules/`) by tests/test_rules_doc.py; a function not listed "
           "here and without Python source srcgrad can read is refused when compiling, "
           "unless it has no derivative (comparisons, shapes, constructors such as "
           "`np.zeros`; "
           f"{len(registry.nondifferentiable_primitives())} are registered as such).", ""]
    for module, heading in SECTIONS.items():
        out += [f"## {heading} ({len(rows[module])})", "", "| function | modes |",
                "| --- | --- |", *rows[module], ""]
    return "\n".join(out), count


def test_docs_list_every_rule():
    text, _ = render()
    if os.environ.get("SRCGRAD_WRITE_DOCS"):
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(text)
    assert DOC.read_text() == text, "docs/rules.md is stale: regenerate it (see above)"


def test_every_rule_module_has_a_section():
    modules = {rule.module for _, rule in registry.registered(builtin_only=True)}
    assert modules - set(SECTIONS) == {"srcgrad.rules.runtime"}


def test_readme_quotes_the_count():
    _, count = render()
    readme = (ROOT / "README.md").read_text()
    quoted = re.search(r"\[(\d+) supported functions\]\(docs/rules\.md\)", readme)
    assert quoted and int(quoted.group(1)) == count
