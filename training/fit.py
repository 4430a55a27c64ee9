"""The Keras fit shared by the real model and the leak check's twin: a tf.data stream of fresh slices,
early stopping and learning-rate halving on validation loss, and the epoch length."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from continuo.live.music.codec import FIELDS
from continuo.training.loader import Piece
from continuo.training.model import ModelConfig
from continuo.training.windows import as_inputs_targets

if TYPE_CHECKING:
    from continuo.training.train import TrainOptions


def epoch_steps(trainable: Sequence[Piece], config: ModelConfig) -> int:
    """One epoch = about one pass over the training events, cut into window-long slices."""
    return max(1, sum((len(p) - 1) // config.window for p in trainable) // config.batch_size)


def _dataset(draw: Callable[[], np.ndarray], batch_size: int, rng: np.random.Generator, packing: int | None) -> Any:
    """An endless tf.data pipeline of full batches, drawing fresh slices (phase, transposition) per pass."""
    import tensorflow as tf

    def batches() -> Any:
        while True:  # Keras counts steps_per_epoch; each new pass over the pieces is a fresh draw
            slices = draw()
            order = rng.permutation(len(slices))
            for begin in range(0, max(1, len(order) - batch_size + 1), batch_size):
                yield as_inputs_targets(slices[order[begin : begin + batch_size]], packing)

    spec = tf.TensorSpec(shape=(None, None), dtype=tf.int64)
    signature = ({n: spec for n in FIELDS}, {f"{n}_logits": spec for n in FIELDS})
    return tf.data.Dataset.from_generator(batches, output_signature=signature).prefetch(2)


def fit(
    model: Any,
    draw: Callable[[], np.ndarray],
    validation: np.ndarray | None,
    options: TrainOptions,
    epochs: int,
    steps_per_epoch: int,
    rng: np.random.Generator,
    log: Path | None,
    packing: int | None,
) -> Any:
    """Fit `model` on batches of `draw()`'s slices; with validation slices, stop early and keep the best
    weights; with a `log` path, write each epoch's losses there as CSV. Returns Keras' History."""
    import keras

    callbacks: list[Any] = []
    validation_data = None
    if validation is not None and len(validation):
        validation_data = as_inputs_targets(validation, packing)
        callbacks += [
            keras.callbacks.EarlyStopping("val_loss", patience=options.patience, restore_best_weights=True),
            # Duration and shift saturate early, so the summed loss plateaus while pitch still learns:
            # halve the rate only after half the early-stopping patience, and not below a tenth.
            keras.callbacks.ReduceLROnPlateau(
                "val_loss",
                factor=0.5,
                patience=max(1, options.patience // 2),
                min_lr=options.config.learning_rate / 10,
            ),
        ]
    if log is not None:
        callbacks.append(keras.callbacks.CSVLogger(str(log)))
    verbose = 1 if sys.stdout.isatty() else 2
    return model.fit(
        _dataset(draw, options.config.batch_size, rng, packing),
        steps_per_epoch=steps_per_epoch,
        validation_data=validation_data,
        epochs=epochs,
        callbacks=callbacks,
        verbose=verbose,
    )
