"""Keeping a run's MIDI connections through the loss of its MIDI system, its output port or an input.

An installation must outlive a JACK server restart, a synth that quits, a keyboard unplugged. On the
engine's thread between rounds, the keeper notices the output going away (the server's socket stops
answering, an existing port we send to is no longer listed, or the scheduler's send fails), has the
engine go silent with its state kept (Engine.output_lost), and then tries every RETRY_SECONDS to
open the port again: a new virtual port under the same name, or the existing port by name. When it
opens, the engine plays on from the beat after next with the window it had (Engine.output_restored).
Input and clock relays (live/midi_io/input_relay.py) end by themselves when their port or MIDI
system goes; the keeper starts them again once the port can be opened, and the engine plays on its
own meanwhile. Each loss and each return is said once, on stderr and in the log, not at every retry.
With --exit-on-port-loss the first loss of the output ends the run instead (for a supervisor).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from continuo.live.engine.engine import Engine
from continuo.live.engine.scheduler import PortFailedError
from continuo.live.midi_io.input_relay import RelayedInput
from continuo.live.midi_io.ports import PortError, backend_label
from continuo.live.runner.connections import Connections

RETRY_SECONDS = 2.0
WATCH_SECONDS = 0.5  # how often the output's MIDI system and port are checked


class PortKeeper:
    def __init__(
        self,
        engine: Engine,
        connections: Connections,
        log: Callable[..., None],
        exit_on_loss: bool = False,
        err: TextIO | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine, self.connections, self.log, self.exit_on_loss = engine, connections, log, exit_on_loss
        self.err, self.now = err or sys.stderr, now
        self.reconnects = 0  # ports reopened and relays restarted
        self._lost_at: float | None = None  # when the output went away, while it is away
        self._next_watch = self._next_try = 0.0
        self._relays_lost: dict[str, float] = {}  # role -> when to try starting its relay next
        # A relay's start waits for its process to answer: on a thread of its own, never the engine's.
        self._starting: dict[str, list[RelayedInput | Exception]] = {}

    def __call__(self) -> None:
        now = self.now()
        self._install_started_relays()
        if now < self._next_watch and not self.engine.port_lost:
            return
        self._next_watch = now + WATCH_SECONDS
        if not self.engine.port_lost:
            self._watch_output()
        if self.engine.port_lost:
            self._recover_output(now)
        else:
            self._keep_relays(now)

    def _watch_output(self) -> None:
        connections = self.connections
        if connections.port is None or connections.alive():
            return
        if connections.server_died():
            reason = f"the {backend_label(connections.api or '')} server went away"
        else:
            reason = f"port {connections.port.name!r} went away"
        if self.exit_on_loss:
            raise PortFailedError(reason)
        self.engine.output_lost(reason)

    def _recover_output(self, now: float) -> None:
        if self._lost_at is None:  # the loss is new (noticed here, or by the engine when a send failed)
            self._lost_at, self._next_try = now, now + RETRY_SECONDS
            if self.exit_on_loss:
                raise PortFailedError(self.engine.port_lost)
            self._say(f"output lost ({self.engine.port_lost}): silent, trying again every {RETRY_SECONDS:g} s")
            return
        if now < self._next_try:
            return
        self._next_try = now + RETRY_SECONDS
        connections = self.connections
        server_died = connections.server_died()
        if not connections.reopen_output():
            return
        self.engine.output_restored(connections.port)
        self.reconnects += 1
        away = now - self._lost_at
        self._lost_at = None
        self._say(f"output back after {away:.1f} s: port {connections.port.name!r}, playing on", away_seconds=away)
        for role, relay in connections.relays():  # their ports died with the server: start them again
            if relay is not None and server_died and relay.alive():
                relay.close()  # one that missed a quick restart still holds a client of the dead server
            if relay is None or not relay.alive():
                self._relays_lost.setdefault(role, now)

    def _keep_relays(self, now: float) -> None:
        connections = self.connections
        for role, relay in connections.relays():
            if (relay is not None and relay.alive()) or role in self._starting:
                continue
            if role not in self._relays_lost:
                self._relays_lost[role] = now + RETRY_SECONDS
                self._say(f"{role} port lost: playing on, trying again every {RETRY_SECONDS:g} s")
                continue
            if now < self._relays_lost[role] or connections.server_died():
                continue
            self._relays_lost[role] = now + RETRY_SECONDS  # the next try, if this one fails
            result: list[RelayedInput | Exception] = []
            self._starting[role] = result
            threading.Thread(target=self._start_relay, args=(role, result), daemon=True).start()

    def _start_relay(self, role: str, result: list[RelayedInput | Exception]) -> None:
        try:
            result.append(self.connections.start_relay(role))
        except (PortError, OSError) as error:  # the port is not back yet; or no process could start
            result.append(error)

    def _install_started_relays(self) -> None:
        for role, result in list(self._starting.items()):
            if not result:
                continue
            del self._starting[role]
            if isinstance(result[0], Exception):
                continue
            self.connections.install_relay(role, result[0])
            self._relays_lost.pop(role, None)
            self.reconnects += 1
            self._say(f"{role} port back", role=role)

    def _say(self, text: str, **fields: object) -> None:
        with contextlib.suppress(OSError):  # a closed terminal must not end an installation
            print(f"continuo: {text}", file=self.err, flush=True)
        self.log("connection", text=text, **fields)
