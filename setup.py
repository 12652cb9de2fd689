"""Only the optional C accelerator is declared here; everything else is in setup.cfg.

`srcgrad._speedups` (the warm path's argument check, dispatch.py) is built when a C
compiler and Python's headers are there; when the build fails, srcgrad installs
without it and uses the same check written in Python."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("srcgrad._speedups", ["srcgrad/_speedups.c"], optional=True)])
