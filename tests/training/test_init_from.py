"""Fine-tuning starts only from a run that never trained on this run's held-out pieces."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from continuo.live.errors import ContinuoError
from continuo.training.init_from import refuse_seen_pieces
from continuo.training.loader import LoadReport
from continuo.training.model import ModelConfig
from continuo.training.runfolder import RunFolder
from continuo.training.split import split_by_piece
from continuo.training.train import TrainOptions
from tests.training.test_split import pieces


def base_run(path: Path, seed: int, init_from: Path | None = None) -> Path:
    corpus = pieces(60)
    options = TrainOptions(data=Path("data/x"), name="x", out=path, seed=seed, init_from=init_from)
    RunFolder(path).create()
    RunFolder(path).write_split(split_by_piece(corpus, seed), LoadReport(files=len(corpus)), options, 30)
    return path


def test_the_same_corpus_with_the_same_seed_may_be_fine_tuned(tmp_path: Path) -> None:
    refuse_seen_pieces(base_run(tmp_path / "base", seed=0), split_by_piece(pieces(60), seed=0))


def test_another_corpus_may_be_fine_tuned(tmp_path: Path) -> None:
    other = split_by_piece(pieces(100)[60:], seed=5)
    refuse_seen_pieces(base_run(tmp_path / "base", seed=0), other)


def test_a_base_split_another_way_is_refused_with_how_many_pieces_it_saw(tmp_path: Path) -> None:
    base = base_run(tmp_path / "base", seed=0)
    with pytest.raises(ContinuoError, match=r"--init-from .*base: it saw \d+ of this run's held-out pieces"):
        refuse_seen_pieces(base, split_by_piece(pieces(60), seed=1))


def test_a_base_whose_own_base_saw_the_pieces_is_refused(tmp_path: Path) -> None:
    grandparent = base_run(tmp_path / "first", seed=1)
    parent = base_run(tmp_path / "second", seed=0, init_from=grandparent)
    with pytest.raises(ContinuoError, match=r"second \(through its base run .*first\): it saw \d+ of"):
        refuse_seen_pieces(parent, split_by_piece(pieces(60), seed=0))


def test_a_base_without_a_manifest_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ContinuoError, match=r"has no manifest\.json"):
        refuse_seen_pieces(tmp_path / "empty", split_by_piece(pieces(60), seed=0))


def test_loss_weights_survive_the_run_folder_json() -> None:
    config = ModelConfig(loss_weights=(1.0, 2.0, 0.5))
    assert ModelConfig(**json.loads(json.dumps(config.as_dict()))) == config
    assert ModelConfig(**{k: v for k, v in config.as_dict().items() if k != "loss_weights"}).loss_weights == (1, 1, 1)
