"""training/recipes/ship_models.sh makes the shipped files with the commands they record.

The recipe runs in a scratch copy of the tree with a stub `continuo` first on PATH that only logs its
command line (quoted as `continuo train` records its own) and prints `{}`; every logged line is then
compared with what the shipped models, the seed spread and the near-copies reports say made them.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from continuo.live.model.model_file import ContinuoModel, shipped_models

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "training" / "recipes" / "ship_models.sh"
REPORTS = ROOT / "models" / "reports"
SHIPPED = sorted(shipped_models().items())

STUB = """#!{python}
import shlex, sys
with open({log!r}, "a") as log:
    log.write("continuo " + shlex.join(sys.argv[1:]) + "\\n")
print("{{}}")
"""


@pytest.fixture(scope="module")
def recipe_log(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("recipe")
    (root / "training" / "recipes").mkdir(parents=True)
    shutil.copy(RECIPE, root / "training" / "recipes" / RECIPE.name)
    stub_dir, log = root / "bin", root / "commands.log"
    stub_dir.mkdir()
    stub = stub_dir / "continuo"
    stub.write_text(STUB.format(python=sys.executable, log=str(log)))
    stub.chmod(0o755)
    path = f"{stub_dir}:/usr/bin:/bin"
    subprocess.run(
        ["bash", str(root / "training" / "recipes" / RECIPE.name)], check=True, env={"PATH": path}, timeout=60
    )
    return log.read_text().splitlines()


def _option(command: str, name: str) -> str:
    words = shlex.split(command)
    return words[words.index(name) + 1]


def _first(log: list[str], line: str) -> int:
    assert line in log, f"ship_models.sh never runs: {line}"
    return log.index(line)


@pytest.mark.parametrize(("name", "path"), SHIPPED, ids=[name for name, _ in SHIPPED])
def test_the_recipe_trains_scores_and_exports_each_model_as_its_file_records(
    name: str, path: Path, recipe_log: list[str]
) -> None:
    metadata = ContinuoModel(path).info.metadata
    training, metrics = metadata["training"], metadata["metrics"]
    trained = _first(recipe_log, training["command"])
    run = _option(training["command"], "--out")
    base = training.get("init_from", {}).get("run")
    if base:  # the run it was fine-tuned from is trained first
        assert any(
            line.startswith("continuo train ") and _option(line, "--out") == base for line in recipe_log[:trained]
        ), f"{name}: no train --out {base} before it"
    if "leak_check" in metrics and "--no-leak-check" in shlex.split(training["command"]):
        epochs = metrics["leak_check"]["epochs"]
        extra = "" if epochs == training["best_epoch"] else f" --leak-check-epochs {epochs}"
        assert _first(recipe_log, f"continuo evaluate --run {run} --leak-check{extra}") > trained
    exported = _first(recipe_log, f"continuo export {run} -o models/{name}.onnx --seeds models/seeds/{name}")
    assert exported > trained
    report = json.loads((REPORTS / f"{name}.json").read_text())
    data = metadata["corpus"]["data"]
    reported = (
        f"continuo report --model {name} --data {data} --events {report['events']} --streams {report['streams']} --json"
    )
    assert _first(recipe_log, reported) > exported
    assert report["temperature"] == 1.0 and report["top_p"] is None and report["first_seed"] == 0  # the defaults
    near = json.loads((REPORTS / f"{name}.near_copies.json").read_text())
    assert _first(recipe_log, near["command"]) > exported


def test_the_recipe_makes_the_bach_seed_spread_from_its_recorded_runs(recipe_log: list[str]) -> None:
    spread = json.loads((REPORTS / "bach.seeds.json").read_text())
    runs = [_option(run["command"], "--out") for run in spread["runs"]]
    for run in spread["runs"]:
        _first(recipe_log, run["command"])
    _first(recipe_log, "continuo evaluate " + " ".join(f"--run {run}" for run in runs) + " --json")
