"""The seed's architecture with three logit heads, trained many-to-many."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Any

from continuo.live.music.codec import FIELDS, PITCH_CLASSES, Codec


@dataclass(frozen=True)
class ModelConfig:
    window: int = 30
    pitch_embedding: int = 100
    field_embedding: int = 16
    units: int = 256
    layers: int = 2
    dropout: float = 0.2
    learning_rate: float = 3e-3
    batch_size: int = 32
    # pitch, duration, shift: the summed loss drives the shared LSTM and early stopping, so a head whose
    # loss is small next to pitch's gets little of the model's attention unless it is weighted up
    loss_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
    # Format 2: duration logits for every shift class, so the engine draws the duration given the shift
    # it drew (how long a note lasts depends on where it falls: a chord tone, on or off the beat); False is
    # format 1, three independent heads.
    duration_given_shift: bool = False
    duration_head_units: int = 64

    def __post_init__(self) -> None:  # JSON gives a list back
        object.__setattr__(self, "loss_weights", tuple(float(w) for w in self.loss_weights))

    def as_dict(self) -> dict[str, Any]:
        """As JSON stores it (a list, not a tuple), so a stored config compares equal to a fresh one."""
        return asdict(self) | {"loss_weights": list(self.loss_weights)}


DURATION_GIVEN_SHIFT_LAYER = "duration_given_shift"


@functools.cache
def custom_objects() -> dict[str, Any]:
    """The format-2 duration head, its loss and its accuracy; built on first use so importing this module
    does not import Keras, and registered so a saved run loads without naming them."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="continuo")
    class DurationGivenShift(keras.layers.Layer):
        """Duration logits for every shift class, ``[batch, time, shifts, durations]``, in one pass.

        A marginal part (the format-1 head's Dense, so a format-1 base carries over) plus a small
        shift-conditioned part that starts at zero, so training begins where the marginal head is.
        """

        def __init__(self, n_shifts: int, n_durations: int, units: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.n_shifts, self.n_durations, self.units = n_shifts, n_durations, units

        def build(self, input_shape: Any) -> None:
            width = int(input_shape[-1])
            self.marginal_kernel = self.add_weight(shape=(width, self.n_durations), name="marginal_kernel")
            self.marginal_bias = self.add_weight(shape=(self.n_durations,), initializer="zeros", name="marginal_bias")
            self.hidden_kernel = self.add_weight(shape=(width, self.units), name="hidden_kernel")
            self.shift_embedding = self.add_weight(shape=(self.n_shifts, self.units), name="shift_embedding")
            self.hidden_bias = self.add_weight(shape=(self.units,), initializer="zeros", name="hidden_bias")
            self.output_kernel = self.add_weight(
                shape=(self.units, self.n_durations), initializer="zeros", name="output_kernel"
            )

        def call(self, hidden: Any) -> Any:
            marginal = ops.matmul(hidden, self.marginal_kernel) + self.marginal_bias
            joint = ops.expand_dims(ops.matmul(hidden, self.hidden_kernel) + self.hidden_bias, -2)
            joint = ops.relu(joint + self.shift_embedding)  # [batch, time, shifts, units]
            return ops.expand_dims(marginal, -2) + ops.matmul(joint, self.output_kernel)

        def get_config(self) -> dict[str, Any]:
            return super().get_config() | {
                "n_shifts": self.n_shifts,
                "n_durations": self.n_durations,
                "units": self.units,
            }

    def row_of_true_shift(packed: Any, table: Any) -> tuple[Any, Any]:
        """Targets pack the shift with the duration (see windows.as_inputs_targets): unpack, take its row."""
        packed = ops.cast(packed, "int32")
        n_durations = ops.shape(table)[-1]
        shift, duration = packed // n_durations, packed % n_durations
        row = ops.sum(table * ops.expand_dims(ops.one_hot(shift, ops.shape(table)[-2], dtype=table.dtype), -1), -2)
        return duration, row

    @keras.saving.register_keras_serializable(package="continuo")
    def duration_given_shift_loss(packed: Any, table: Any) -> Any:
        duration, row = row_of_true_shift(packed, table)
        return keras.losses.sparse_categorical_crossentropy(duration, row, from_logits=True)

    @keras.saving.register_keras_serializable(package="continuo")
    def duration_given_shift_accuracy(packed: Any, table: Any) -> Any:
        duration, row = row_of_true_shift(packed, table)
        return keras.metrics.sparse_categorical_accuracy(duration, row)

    return {
        "DurationGivenShift": DurationGivenShift,
        "duration_given_shift_loss": duration_given_shift_loss,
        "duration_given_shift_accuracy": duration_given_shift_accuracy,
    }


def build_model(codec: Codec, config: ModelConfig) -> Any:
    """Embed pitch, duration and shift, concatenate, stacked LSTMs, one logit head per field.

    Inputs are int64 ``[batch, time]`` with a dynamic time axis, so the same weights serve
    training windows, evaluation and one-step live use. In format 2 the duration head gives a row of
    duration logits per shift class (see ``custom_objects``).
    """
    import keras

    inputs = {name: keras.Input(shape=(None,), dtype="int64", name=name) for name in FIELDS}
    embedded = keras.layers.Concatenate(name="event_embedding")(
        [
            keras.layers.Embedding(PITCH_CLASSES, config.pitch_embedding, name="pitch_embedding")(inputs["pitch"]),
            keras.layers.Embedding(codec.n_durations, config.field_embedding, name="duration_embedding")(
                inputs["duration"]
            ),
            keras.layers.Embedding(codec.n_shifts, config.field_embedding, name="shift_embedding")(inputs["shift"]),
        ]
    )
    hidden = embedded
    for layer in range(config.layers):
        hidden = keras.layers.LSTM(config.units, return_sequences=True, name=f"lstm_{layer + 1}")(hidden)
        hidden = keras.layers.Dropout(config.dropout, name=f"dropout_{layer + 1}")(hidden)
    if config.duration_given_shift:
        custom = custom_objects()
        duration_head = custom["DurationGivenShift"](
            codec.n_shifts, codec.n_durations, config.duration_head_units, name=DURATION_GIVEN_SHIFT_LAYER
        )
    else:
        duration_head = keras.layers.Dense(codec.n_durations, name="duration_logits")
    outputs = {
        "pitch_logits": keras.layers.Dense(PITCH_CLASSES, name="pitch_logits")(hidden),
        "duration_logits": duration_head(hidden),
        "shift_logits": keras.layers.Dense(codec.n_shifts, name="shift_logits")(hidden),
    }
    model = keras.Model(inputs=inputs, outputs=outputs, name="continuo_lstm")
    losses: dict[str, Any] = {name: keras.losses.SparseCategoricalCrossentropy(from_logits=True) for name in outputs}
    metrics: dict[str, Any] = {name: [keras.metrics.SparseCategoricalAccuracy(name="acc")] for name in outputs}
    if config.duration_given_shift:
        losses["duration_logits"] = custom["duration_given_shift_loss"]
        accuracy = custom["duration_given_shift_accuracy"]
        metrics["duration_logits"] = [keras.metrics.MeanMetricWrapper(accuracy, name="acc")]
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=1.0),
        loss=losses,
        loss_weights=dict(zip(outputs, config.loss_weights)),
        metrics=metrics,
    )
    return model


def duration_packing(codec: Codec, config: ModelConfig) -> int | None:
    """How training targets pack the shift with the duration for this model (windows.as_inputs_targets)."""
    return codec.n_durations if config.duration_given_shift else None


def keras_logits(model: Any) -> Any:
    """A LogitsFunction for scoring: (batch, time, 3) events -> three logit arrays."""
    import numpy as np

    def logits(events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        feeds = {name: events[:, :, i].astype(np.int64) for i, name in enumerate(FIELDS)}
        out = model(feeds, training=False)
        return tuple(np.asarray(out[f"{name}_logits"]) for name in FIELDS)  # type: ignore[return-value]

    return logits
