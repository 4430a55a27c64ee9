"""The seed's architecture with three logit heads, trained many-to-many (DESIGN.md §3)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from continuo.live.codec import PITCH_CLASSES, Codec


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

    def __post_init__(self) -> None:  # JSON gives a list back
        object.__setattr__(self, "loss_weights", tuple(float(w) for w in self.loss_weights))

    def as_dict(self) -> dict[str, Any]:
        """As JSON stores it (a list, not a tuple), so a stored config compares equal to a fresh one."""
        return asdict(self) | {"loss_weights": list(self.loss_weights)}


def build_model(codec: Codec, config: ModelConfig) -> Any:
    """Embed pitch, duration and shift, concatenate, stacked LSTMs, one dense logit head per field.

    Inputs are int64 ``[batch, time]`` with a dynamic time axis, so the same weights serve
    training windows, evaluation and one-step live use.
    """
    import keras

    inputs = {name: keras.Input(shape=(None,), dtype="int64", name=name) for name in ("pitch", "duration", "shift")}
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
    outputs = {
        "pitch_logits": keras.layers.Dense(PITCH_CLASSES, name="pitch_logits")(hidden),
        "duration_logits": keras.layers.Dense(codec.n_durations, name="duration_logits")(hidden),
        "shift_logits": keras.layers.Dense(codec.n_shifts, name="shift_logits")(hidden),
    }
    model = keras.Model(inputs=inputs, outputs=outputs, name="continuo_lstm")
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=1.0),
        loss={name: keras.losses.SparseCategoricalCrossentropy(from_logits=True) for name in outputs},
        loss_weights=dict(zip(outputs, config.loss_weights)),
        metrics={name: [keras.metrics.SparseCategoricalAccuracy(name="acc")] for name in outputs},
    )
    return model


def keras_logits(model: Any) -> Any:
    """A LogitsFunction for scoring: (batch, time, 3) events -> three logit arrays."""
    import numpy as np

    def logits(events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        feeds = {name: events[:, :, i].astype(np.int64) for i, name in enumerate(("pitch", "duration", "shift"))}
        out = model(feeds, training=False)
        return tuple(np.asarray(out[f"{name}_logits"]) for name in ("pitch", "duration", "shift"))  # type: ignore[return-value]

    return logits
