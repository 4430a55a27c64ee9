"""An input port in its own process, relaying what arrives to the engine over a pipe.

Why a process: libjack keeps one table of client semaphores per process, indexed by the server's
client numbers. With two clients in one process, a number freed by another program (a `jack_lsp`,
a `jack_connect`) and handed to our second client can leave that client waiting on the old
program's semaphore: its first cycle never ends ("client ... was not finished, state = Triggered")
and the port is dead. Measured here: 3 runs in 10 with an input and an output in one process, 0
in 40 since the input moved out. So the engine holds one client (its output) and each input port
lives in a relay process holding one client too.

Protocol on the relay's stdout: one line `ok <port name>` or `error <message>`, then frames of
`<monotonic arrival time: float64><length: uint16><bytes>`. The relay reads its port through RtMidi's
own queue, never with a Python callback in the MIDI system's thread (live/midi_io/queued_input.py says
why and how each message gets its arrival time on the CLOCK_MONOTONIC the engine uses). What arrives
before the handshake waits in that queue. It ends when its stdin closes (the engine ended, however it
ended).

    python -m continuo.live.midi_io.input_relay API VIRTUAL_NAME EXISTING_PORT_OR_EMPTY
"""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

import mido

from continuo.live.midi_io.ports import DEFAULT_PORT_NAME, PortError, match_port, open_queued_input
from continuo.live.midi_io.queued_input import QueuedInput
from continuo.live.midi_io.server_watch import ServerWatch

FRAME_HEAD = struct.Struct("<dH")
READY_TIMEOUT_SECONDS = 15.0
PRESENCE_SECONDS = 1.0  # how often the relay checks that its port and MIDI system are still there
PORT_GONE = 3  # the relay's exit code when they are not
ACTIVE_SENSING = 0xFE
Deliver = Callable[[float, mido.Message], None]  # a message and the monotonic second it arrived


def relay_main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the engine; our end is stdin's EOF
    api, virtual_name, existing = argv[0], argv[1], argv[2] or None
    out = sys.stdout.buffer

    def forward(stamp: float, data: list[int]) -> None:
        if data[:1] != [ACTIVE_SENSING]:  # a keep-alive every 300 ms from many keyboards: nothing to play
            with contextlib.suppress(BrokenPipeError, ValueError):  # the engine is gone: stdin's EOF ends us next
                out.write(frame(stamp, bytes(data)[:65535]))

    def flush() -> None:  # once per poll that took messages: a flood costs one write per poll, not per message
        with contextlib.suppress(BrokenPipeError, ValueError):
            out.flush()

    opened_at = time.monotonic()  # nothing can have arrived before this
    try:  # _client stays referenced in this frame until os._exit: never closed, never collected
        _client, name = open_queued_input(api, virtual_name, existing)
    except PortError as error:
        out.write(f"error {error}\n".encode())
        out.flush()
        return 2
    out.write(f"ok {name}\n".encode())
    out.flush()
    reader = QueuedInput(_client, forward, flush, opened_at=opened_at)
    reader.start()  # what came before the handshake waits in RtMidi's queue
    with open(os.devnull, "wb") as null:  # nobody reads our stderr after the handshake
        os.dup2(null.fileno(), 2)
    # Closing an rtmidi JACK client whose server died aborts inside libjack: every way out is os._exit.
    threading.Thread(target=_exit_at_end_of_input, args=(reader, flush), daemon=True).start()
    server = ServerWatch(api)
    server.listen_for_shutdown()
    while server.alive() and _port_still_there(_client, existing):
        time.sleep(PRESENCE_SECONDS)
    os._exit(PORT_GONE)


def _exit_at_end_of_input(reader: QueuedInput, flush: Callable[[], None]) -> None:
    sys.stdin.buffer.read()  # blocks until the engine closes the pipe (or dies)
    reader.stop()  # what is still in RtMidi's queue goes out before the relay does
    flush()
    os._exit(0)


def _port_still_there(client: object, existing: str | None) -> bool:
    """The existing port we listen to is still listed (a virtual port is ours: always).

    A vanished port (a keyboard unplugged, a DAW quit) or MIDI system (a JACK server killed: the
    `ServerWatch` in the loop, as a dead JACK client's listing is just empty) ends the relay, so the
    engine, which restarts relays that end, picks the port up again when it returns."""
    if existing is None:
        return True
    try:
        names = client.get_ports()  # type: ignore[attr-defined]
    except Exception:  # the MIDI system itself is gone
        return False
    return match_port(existing, names) is not None


def frame(stamp: float, data: bytes) -> bytes:
    return FRAME_HEAD.pack(stamp, len(data)) + data


@dataclass
class FrameCount:
    """What an input port's relays passed on: every message (`frames`), and those mido could not parse.

    One count per port, kept across relay restarts: the lossless count a sender's can be compared with."""

    frames: int = 0
    unparsed: int = 0


def read_frames(stream: IO[bytes], deliver: Deliver, count: FrameCount | None = None) -> FrameCount:
    """Deliver each frame that parses as one MIDI message until the stream ends; counted in `count`.

    Anything can arrive on an input port (sysex, clock floods, garbage from a broken cable): what
    mido cannot parse as a message is counted and dropped, never raised.
    """
    count = FrameCount() if count is None else count
    while True:
        head = stream.read(FRAME_HEAD.size)
        if len(head) < FRAME_HEAD.size:
            return count
        stamp, length = FRAME_HEAD.unpack(head)
        data = stream.read(length)
        count.frames += 1
        try:
            message = mido.Message.from_bytes(data)
        except (ValueError, TypeError, IndexError, KeyError):
            count.unparsed += 1
            continue
        deliver(stamp, message)


class RelayedInput:
    """The engine's side of a relay: starts it, waits for its port, feeds `deliver` from a thread."""

    def __init__(
        self, api: str, virtual_name: str, existing: str | None, deliver: Deliver, count: FrameCount | None = None
    ) -> None:
        self.deliver = deliver
        self.count = FrameCount() if count is None else count
        command = [sys.executable, "-m", "continuo.live.midi_io.input_relay", api, virtual_name, existing or ""]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.process.stdout is not None
        self._stdout: IO[bytes] = self.process.stdout
        self._reader: threading.Thread | None = None
        self.name = self._handshake()
        self._reader = threading.Thread(target=self._read, name="continuo-input", daemon=True)
        self._reader.start()

    def _handshake(self) -> str:
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(self._stdout.readline()), daemon=True)
        reader.start()
        reader.join(READY_TIMEOUT_SECONDS)
        line = result[0].decode(errors="replace").strip() if result else ""
        if line.startswith("ok "):
            return line[3:]
        self.close()
        if line.startswith("error "):
            raise PortError(line[6:])
        stderr = self.process.stderr.read().decode(errors="replace").strip() if self.process.stderr else ""
        last = stderr.splitlines()[-1] if stderr else "no answer"
        raise PortError(f"the input port's relay process did not start: {last}")

    def _read(self) -> None:
        read_frames(self._stdout, self.deliver, self.count)

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """End the relay (its stdin's end is its signal) and let go of its pipes: a run that restarts
        relays for weeks must not keep a descriptor of each one."""
        if self.process.poll() is None:
            try:
                if self.process.stdin is not None:
                    self.process.stdin.close()
                self.process.wait(timeout=3)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        if self._reader is not None:
            self._reader.join(timeout=1)  # it ends at the pipe's end, which the relay's exit brings
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


def open_relayed_input(
    api: str, virtual_name: str | None, existing: str | None, deliver: Deliver, count: FrameCount | None = None
) -> RelayedInput:
    return RelayedInput(api, virtual_name or f"{DEFAULT_PORT_NAME} In", existing, deliver, count)


if __name__ == "__main__":
    sys.exit(relay_main(sys.argv[1:]))
