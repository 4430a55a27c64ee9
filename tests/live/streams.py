"""Reading what a stream of MIDI messages did: notes left sounding, notes held too long, the exit panic,
and streams put in a form that can be compared."""

from __future__ import annotations

import math

import mido

from continuo.live.music.midi import PANIC_CONTROLS


def note_balance(messages: list[mido.Message]) -> set[tuple[int, int]]:
    """Notes still sounding after the messages, if each note-off ends the note-on before it."""
    sounding: set[tuple[int, int]] = set()
    for message in messages:
        if message.type == "note_on" and message.velocity > 0:
            sounding.add((message.channel, message.note))
        elif message.type in ("note_on", "note_off"):
            sounding.discard((message.channel, message.note))
    return sounding


def releases(message: mido.Message) -> bool:
    return message.type == "note_off" or (message.type == "note_on" and message.velocity == 0)


def exit_panic_start(stream: list[tuple[float, mido.Message]], burst_seconds: float = 0.005) -> int:
    """Index of the exit panic's first message: the note-offs sent in one burst just before the stream's
    last CC123, or that CC123 itself. Everything before it was played, not silenced on the way out."""
    last = max(i for i, (_, m) in enumerate(stream) if m.type == "control_change" and m.control == 123)
    start = last
    while start > 0 and releases(stream[start - 1][1]) and stream[last][0] - stream[start - 1][0] <= burst_seconds:
        start -= 1
    return start


def sounding_spans(stream: list[tuple[float, mido.Message]]) -> list[tuple[float, float, int, int, int]]:
    """(on, off, channel, note, index of the releasing message) of each note: its note-on to the first release
    of its key after it (its own note-off, a re-strike's release, a flush or a panic). A note struck again
    with no release between (its note-off was lost) ends at infinity, at the index of the new note-on."""
    open_notes: dict[tuple[int, int], float] = {}
    spans = []
    for index, (t, m) in enumerate(stream):
        key = (getattr(m, "channel", -1), getattr(m, "note", -1))
        if m.type == "note_on" and m.velocity > 0:
            if key in open_notes:  # struck again unreleased: the engine always releases a key before that
                spans.append((open_notes[key], math.inf, key[0], key[1], index))
            open_notes[key] = t
        elif releases(m) and key in open_notes:
            spans.append((open_notes.pop(key), t, key[0], key[1], index))
        elif m.type == "control_change" and m.control in PANIC_CONTROLS:
            for other in [k for k in open_notes if k[0] == m.channel]:
                spans.append((open_notes.pop(other), t, other[0], other[1], index))
    return spans


def longest_seconds(bpm: float, slack: float = 0.1) -> float:
    """The codec's longest note at `bpm`, plus `slack` seconds for the port and the reader."""
    from continuo.live.music.codec import DEFAULT_DURATIONS

    return max(DEFAULT_DURATIONS) * 60 / bpm + slack


def overlong_notes(
    stream: list[tuple[float, mido.Message]], longest_seconds: float
) -> list[tuple[float, float, int, int, int]]:
    """Notes that sounded longer than `longest_seconds` (the codec's longest duration at the run's slowest
    tempo, with slack) before anything released them: a lost note-off, which a panic at the exit would hide
    from a test of note balance over the whole stream."""
    return [span for span in sounding_spans(stream) if span[1] - span[0] > longest_seconds]


def same_messages(a: list[mido.Message]) -> list[tuple[str, int, int, int]]:
    """What matters for comparing streams: type, channel, note or control, velocity or value."""
    out = []
    for m in a:
        if m.type == "control_change":
            out.append((m.type, m.channel, m.control, m.value))
        elif m.type in ("note_on", "note_off"):
            velocity = m.velocity if m.type == "note_on" else 0
            out.append((m.type, m.channel, m.note, velocity))
        else:
            out.append((m.type, getattr(m, "channel", -1), 0, 0))
    return out


def settled(messages: list[mido.Message]) -> list[tuple[str, int, int, int]]:
    """`same_messages`, with what follows the last note-on put in a fixed order: which note-offs the scheduler
    sends just before the exit and which the exit panic sends is a race, and the recording keeps them in
    (channel, pitch) order at the --duration end beat (live/runner/play.py)."""
    rows = same_messages(messages)
    last_on = max((i for i, row in enumerate(rows) if row[0] == "note_on" and row[3] > 0), default=-1)
    tail = rows[last_on + 1 :]
    offs = sorted(row for row in tail if row[0] in ("note_off", "note_on"))
    return rows[: last_on + 1] + offs + [row for row in tail if row[0] not in ("note_off", "note_on")]


def onset_problems(
    error_ms: list[float], median_ms: tuple[float, float], late_ms: float, spread_ms: float, worst_ms: float = 10.0
) -> list[str]:
    """What is wrong with onset errors (arrival minus due, ms): a median outside `median_ms` (a constant delay
    moves it), a p95-p5 spread over `spread_ms` (jitter), more than one onset later than `late_ms`, or any
    later than `worst_ms`. One late onset is allowed: on a 2-core VM a single late JACK cycle or a witness that
    woke late shows in one note, and with a few dozen notes a p99 is that one note."""
    import numpy as np

    errors = np.asarray(error_ms)
    p5, p50, p95 = np.percentile(errors, [5, 50, 95])
    problems = []
    if not median_ms[0] <= p50 <= median_ms[1]:
        problems.append(f"median {p50:.2f} ms outside {median_ms}")
    if p95 - p5 > spread_ms:
        problems.append(f"p95-p5 spread {p95 - p5:.2f} ms > {spread_ms}")
    if (late := int((errors > late_ms).sum())) > 1:
        problems.append(f"{late} onsets later than {late_ms} ms")
    if errors.max() > worst_ms:
        problems.append(f"an onset {errors.max():.2f} ms late > {worst_ms}")
    return problems
