"""The live path must never pull in TensorFlow (or Keras, or music21): players install none of them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("tensorflow", "keras", "tf2onnx", "onnx", "music21")


def heavy_modules_after(code: str) -> str:
    """Run code in a fresh interpreter and list the heavy top-level modules it left imported."""
    report = f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    result = subprocess.run(
        [sys.executable, "-c", "import sys\n" + code + report], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_live_package_and_cli_do_not_import_tensorflow() -> None:
    code = (
        "import pkgutil, importlib, continuo.live\n"
        "for module in pkgutil.walk_packages(continuo.live.__path__, 'continuo.live.'):\n"
        "    if not module.name.endswith('__main__'):\n"
        "        importlib.import_module(module.name)\n"
        "from continuo.live.cli import build_parser\n"
        "build_parser().format_help()  # loads the commands training and export register, too\n"
    )
    assert heavy_modules_after(code) == "[]"


def test_training_and_export_modules_defer_heavy_imports_to_the_functions_that_need_them() -> None:
    code = "import continuo.training.train, continuo.training.evaluate, continuo.training.corpus\n"
    code += "import continuo.export.onnx_export\n"
    assert heavy_modules_after(code) == "[]"
