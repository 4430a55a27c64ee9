"""The "what each figure means" notes of BENCHMARKS.md: methods in words, with no measured number typed in;
the few sentences that interpret a figure choose their wording from the run's figures."""

from __future__ import annotations

from typing import Any


def notes(results: dict[str, Any]) -> list[str]:
    """What each figure means; the interpretive sentences pick their wording from the figures."""
    sch, e2e, window = results["scheduler_accuracy"], results["end_to_end"], results["inference"]["window"]
    jack = results["machine"]["jack"]
    period = jack["period_frames"] / jack["sample_rate"] * 1000
    calmer = sch["with_busy_neighbour"]["p99_ms"] < sch["alone"]["p99_ms"]
    under = e2e["continuo"]["abs_error_ms"]["p99"] < period
    return [
        f"1. **Per-step inference.** One generation step runs the model on the last {window} events. Seed side: the "
        "seed's own architecture (an embedding, two LSTM layers, a dense layer; random weights cost the same as "
        "trained ones) called with `model.predict`, as the seed's loop did. Continuo side: the shipped `bach.onnx` "
        "through `ContinuoModel.logits`, one intra-op thread. The two alternate in rounds so bursts of load hit "
        "both. The engine generates ahead of the music, so a slow step delays no note.",
        "2. **Scheduler accuracy.** The engine's own `Scheduler` (real-time priority, condition wait, then a short "
        "spin) sending to a null port: send time minus due time of each note-on, on the monotonic clock; alone, "
        "then beside a process spinning on every core. "
        + (
            "Beside the neighbour the p99 was lower than alone: with every core busy the CPU never drops into "
            "idle states, so wake-ups are quicker, and a normal-priority neighbour cannot preempt a real-time thread. "
            if calmer
            else "Beside the neighbour the p99 was higher than alone. "
        )
        + "The priority rows compare the scheduler's priority now (below JACK's own threads, so the engine never "
        "outranks the thread that moves its notes onto the port) with the one it had before, in alternating "
        "rounds beside the same neighbour. Drift comes from the memory probe: a real `continuo play` on a JACK "
        "port, its `--timing-report`; due times are absolute, so lateness should not grow.",
        "3. **End to end.** A private JACK dummy server; a separate process reads the port and stamps each "
        "note-on with `CLOCK_MONOTONIC` on arrival (JACK's frame counter loses time on a loaded dummy driver, so "
        "it is no drift witness). Error = arrival minus intended time, both from the first note. The naive loop "
        "runs the same model, seed and sampler, sends a note, then `time.sleep(shift)`: inference time and sleep "
        "overshoot add up note after note. "
        + (
            f"Continuo's p99 is under one JACK period ({period:.2f} ms), the grid on which a reader sees events."
            if under
            else f"Continuo's p99 is above one JACK period ({period:.2f} ms), the grid on which a reader sees events."
        ),
        '4. **Cold start.** Median of fresh interpreters; "first note" is from process start to the first note '
        "printed by `continuo play --output none --print-notes`.",
        "5. **Memory.** RSS from `/proc/PID/status` of a `continuo play` on a JACK port (JACK's shared memory is "
        "mapped into it). Two probes side by side: one records nothing, one records in parts as an installation "
        "would, so memory holds one part at a time. A short run cannot tell a plateau from slow growth.",
        "6. **Training throughput.** `train_on_batch` on the same random batches, same layers; the seed predicts "
        "one target per window, many-to-many one per step. Wall time per shipped model is the `train_seconds` in "
        "each model file's metadata (the run that made the file), not measured by the suite.",
        "7. **Offline generation.** `continuo generate`'s engine on a clock that runs as fast as notes are placed.",
        "8. **Long takes** (in a fresh interpreter holding only the live side, as `play` does). A full garbage "
        "collection holds the interpreter lock, so the scheduler cannot send until it ends; its length grows with "
        "the objects held. The last row is the cost of `--record-part-minutes`: how late a thread that waits like "
        "the scheduler (sleep, then spin) wakes while a part is encoded and written. The waker runs at normal "
        "priority and stands in for the scheduler, which was not measured beside a part write.",
    ]
