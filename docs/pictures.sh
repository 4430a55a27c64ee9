#!/usr/bin/env bash
# Redraw the README's piano roll from the shipped default model: 32 beats after an opening from its seed
# bank, seed 7 (the notes are the same on every run; the PNG's bytes may differ with matplotlib's version).
# Needs the offline extra: pip install -e '.[offline]'.
set -euo pipefail
cd "$(dirname "$0")/.."
take=$(mktemp --suffix=.mid)
trap 'rm -f "$take"' EXIT
.venv/bin/continuo generate --model bach --seed-composer bach --beats 32 --seed 7 -o "$take" --png docs/img/piano-roll.png
