"""The leak check: the same model trained and scored on a random-window split, to show what a leaky split
(overlapping train and test slices) would claim next to the split by piece."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from continuo.live.music.codec import Codec
from continuo.training.fit import epoch_steps, fit
from continuo.training.init_from import load_initial_weights
from continuo.training.model import build_model, duration_packing, keras_logits
from continuo.training.scoring import score_positions
from continuo.training.split import Split
from continuo.training.windows import all_windows, transpose_randomly, usable

if TYPE_CHECKING:
    from continuo.training.train import TrainOptions

LEAK_TEST_WINDOWS = 4000


def leak_check(split: Split, codec: Codec, options: TrainOptions, epochs: int) -> dict[str, Any]:
    """Train the same model on a random-window split and score it: what a leaky split would claim.

    Stride-1 slices of all the split's pieces (in digest order, so the same whoever calls) are shuffled into
    90% train and 10% test, so test slices overlap training slices by up to 29 events, as in the seed's
    evaluation. An epoch has as many steps as the real model's.
    """
    import keras

    rng = np.random.default_rng(options.seed + 1)
    steps_per_epoch = epoch_steps(usable(split.train, options.config.window), options.config)
    pieces = sorted([*split.train, *split.val, *split.test], key=lambda piece: piece.digest)
    slices = all_windows(pieces, options.config.window)
    order = rng.permutation(len(slices))
    cut = int(len(order) * 0.9)
    train_slices, test_slices = slices[order[:cut]], slices[order[cut:][:LEAK_TEST_WINDOWS]]
    keras.utils.set_random_seed(options.seed + 1)
    model = build_model(codec, options.config)
    if options.init_from is not None:  # the leaky twin starts where the real model started
        load_initial_weights(model, options.init_from, codec, options.config)

    def draw() -> np.ndarray:
        per_pass = min(steps_per_epoch * options.config.batch_size, len(train_slices))
        chosen = rng.choice(len(train_slices), size=per_pass, replace=False)
        return transpose_randomly(train_slices[chosen], rng, options.transpose)

    print(f"leak check: training the same model on a random-window split for {epochs} epochs", flush=True)
    fit(model, draw, None, options, epochs, steps_per_epoch, rng, None, duration_packing(codec, options.config))
    window = options.config.window
    inputs = test_slices[:, :window]
    positions = np.stack([np.arange(len(inputs)), np.full(len(inputs), window - 1)], axis=1)
    scores = score_positions(keras_logits(model), inputs, positions, test_slices[:, window])
    return {
        "split": "random stride-1 windows, 90/10, overlapping",
        "test_windows": len(test_slices),
        "epochs": epochs,
        "model": {field: score.as_dict() for field, score in scores.items()},
    }
