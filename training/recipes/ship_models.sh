#!/usr/bin/env bash
# Reproduce every shipped model, its seed bank and the model card from a fresh checkout.
# Needs the training extras: pip install -e '.[train]'. Takes hours on a 2-core CPU (see MODEL_CARD.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
COMPOSERS=${COMPOSERS:-bach palestrina monteverdi beethoven mozart haydn}
SEED=${SEED:-0}

continuo corpus --composers "$(echo "$COMPOSERS" | tr ' ' ',')" --out data
for composer in $COMPOSERS; do
    # dropout 0.1, up to 250 epochs, patience 10: measured better than the defaults on Bach (see MODEL_CARD.md)
    continuo train --data "data/$composer" --name "$composer" --out "runs/$composer" --seed "$SEED" \
        --dropout 0.1 --epochs 250 --patience 10
    continuo export "runs/$composer" -o "models/$composer.onnx" --seeds "models/seeds/$composer"
done
mkdir -p models/reports
for composer in $COMPOSERS; do  # the musical report at temperature 1.0 (needs the offline extra: MusPy)
    continuo report --model "$composer" --data "data/$composer" --events 2000 --json > "models/reports/$composer.json"
done
continuo models --card > models/MODEL_CARD.md
continuo models
