import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
# the benchmark workloads are tested too (tests/test_optimizations.py)
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# SRCGRAD_RECORD_TEXTS=PATH: append the SHA-256 of every generated text to PATH (one
# per line), so that a change meant to keep generated code identical can be checked
# over the whole suite: sort -u both runs' files and diff them.
if os.environ.get("SRCGRAD_RECORD_TEXTS"):
    import hashlib

    import srcgrad.pipeline as _pipeline

    _emit = _pipeline.emit

    def _recording_emit(*args, **kwargs):
        out, text = _emit(*args, **kwargs)
        stable = text.replace(args[2].source.filename, "<file>")  # tmp paths vary
        with open(os.environ["SRCGRAD_RECORD_TEXTS"], "a") as f:
            f.write(hashlib.sha256(stable.encode()).hexdigest() + "\n")
        return out, text

    _pipeline.emit = _recording_emit
