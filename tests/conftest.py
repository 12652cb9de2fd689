import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
# the benchmark workloads are tested too (tests/test_optimizations.py)
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
