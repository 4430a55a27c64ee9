"""Choosing the libjack: PipeWire's only where PipeWire serves and no JACK server of our name runs; a clear line
where PipeWire runs without its JACK library. (Loading the libraries for real: tests/live/test_pipewire.py.)"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from continuo.live.midi_io import jack_library, ports


def listening(path: Path) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()
    return server


def test_pipewire_serves_only_where_its_socket_answers_and_no_jack_server_of_our_name_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jack = tmp_path / "jack_default_0_0"
    monkeypatch.setattr(jack_library, "jack_socket", lambda server=None: jack)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.delenv("PIPEWIRE_RUNTIME_DIR", raising=False)
    monkeypatch.delenv("PIPEWIRE_REMOTE", raising=False)
    assert not jack_library.pipewire_serves()  # no PipeWire socket
    with listening(tmp_path / "pipewire-0"):
        assert jack_library.pipewire_serves()
        with listening(jack):
            assert not jack_library.pipewire_serves()  # a JACK server runs: its clients keep rtmidi's libjack
        monkeypatch.setenv("PIPEWIRE_REMOTE", str(tmp_path / "elsewhere"))
        assert not jack_library.pipewire_serves()


def test_pipewire_without_its_jack_library_is_said_in_one_line_with_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jack_library, "_chosen", None)
    monkeypatch.setattr(jack_library, "pipewire_serves", lambda: True)
    monkeypatch.setattr(jack_library, "pipewire_library", lambda: None)
    assert jack_library.prepare() == jack_library.PIPEWIRE_WITHOUT_LIBRARY
    monkeypatch.setattr(ports, "api_answers", lambda api: False)
    for backend in ("jack", "auto"):
        with pytest.raises(ports.NoMidiSystemError) as raised:
            ports.choose_backend(backend, platform="linux")
        said = str(raised.value)
        assert "\n" not in said and "PipeWire is running" in said and "apt-get install pipewire-jack" in said
