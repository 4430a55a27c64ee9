#!/usr/bin/env bash
# The live demo on a fresh machine: install Continuo's light live dependencies into .venv and play the
# shipped default model on a virtual MIDI port named "Continuo" until Ctrl-C.
# On Linux with no MIDI system (no ALSA sequencer), JACK is installed where apt-get is allowed and
# `--start-jack` starts a private JACK server on the dummy driver, so the port is real even with no
# sound card; the notes are printed as they are sent. Extra arguments go to `continuo play`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(uname -s)" = Linux ] && [ ! -e /dev/snd/seq ] && ! command -v jackd >/dev/null; then
    install=(apt-get install -y -qq --no-install-recommends jackd2)
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${install[@]}"
    elif command -v sudo >/dev/null && command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then
        sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive "${install[@]}"
    else
        echo "demo: no ALSA sequencer and no jackd here; install jackd2 (or load snd-seq) for a real port" >&2
    fi
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q -e .
exec .venv/bin/continuo play --start-jack "$@"
