"""Real-time scheduling for Continuo's threads, where the system allows it (root or an rtprio limit).

Python threads share one interpreter lock: if the generator thread is preempted by a busy
neighbour while holding it, the scheduler waits too, however high its own priority. So both get
real-time priority, the scheduler above the generator; both spend nearly all their time asleep
(the scheduler spins at most a millisecond before a message), so neither can starve the machine.

Both stay below JACK's own threads. jackd2 started without -P runs its server thread at SCHED_FIFO 10
and every client's process thread at 5, among them the thread that moves our notes from
rtmidi's buffer onto the port: above them, a generator step or the scheduler's spin could hold a core
JACK needs. Any real-time priority is still above ordinary processes, which is what ours must beat.

An input relay's poll thread (live/midi_io/queued_input.py) gets the lowest of them: it wakes every
millisecond for a few microseconds, so a busy machine cannot hold back what a performer plays, and it
never delays the engine's own threads.
"""

from __future__ import annotations

import contextlib
import os


def request_realtime(priority: int) -> bool:
    """SCHED_FIFO at `priority` for the calling thread; False (and no change) where not permitted."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or no permission: stay as we are
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
        return True
    return False


SCHEDULER_PRIORITY = 4  # sends each message at its time
GENERATOR_PRIORITY = 3  # places notes a quarter of a second ahead
INPUT_POLL_PRIORITY = 2  # empties RtMidi's input queue every millisecond
