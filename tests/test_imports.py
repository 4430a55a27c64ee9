"""The live path must never pull in TensorFlow (or Keras, or music21): players install none of them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("tensorflow", "keras", "tf2onnx", "music21")


def test_live_package_and_cli_do_not_import_tensorflow() -> None:
    code = (
        "import sys, pkgutil, importlib, continuo.live\n"
        "for module in pkgutil.iter_modules(continuo.live.__path__):\n"
        "    if module.name != '__main__':\n"
        "        importlib.import_module('continuo.live.' + module.name)\n"
        "from continuo.live.cli import build_parser\n"
        "build_parser().format_help()\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_training_modules_defer_tensorflow_to_the_functions_that_need_it() -> None:
    code = (
        "import sys\n"
        "import continuo.training.train, continuo.training.evaluate, continuo.training.corpus\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
