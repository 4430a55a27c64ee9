#!/usr/bin/env bash
# Reproduce every shipped model, its seed bank, its musical report and the model card from a fresh checkout.
# Needs the training and offline extras: pip install -e '.[train,offline]'. Takes hours on a 2-core CPU.
#
# Every `continuo train` line below is, word for word, the command a shipped model records in its metadata
# (`continuo models --card` prints it; tests/training/test_ship_models_recipe.py runs this script with a stub
# `continuo` and compares). Those runs were trained with --no-leak-check and their leak checks trained
# afterwards by the `continuo evaluate --run RUN --leak-check` lines here (the metadata records the epochs).
# What the shipped files do not record, and so cannot be checked:
# - the base run runs/palestrina: the files name it only as the run fine-tuned from (its command is not
#   stored), so its line is this recipe's, not a copy;
# - runs/palestrina-t3's fit ended but its process stopped before scoring; it was completed by the same command
#   with --finish added (recorded as `finished_by`), which scores the saved model and changes no weight;
# - the export, seed bank and report commands, whose outputs (models/*.onnx, models/seeds, models/reports)
#   record their inputs but not the command line.
set -euo pipefail
cd "$(dirname "$0")/../.."

continuo corpus --composers bach,palestrina,monteverdi,beethoven,mozart,haydn --out data

# Palestrina (1 296 pieces once duplicates are removed) trains from scratch with the design's ±6 transposition;
# it is the base of every other model and holds none of their pieces. It does not ship itself (its generated
# music drifts between keys: scale consistency 0.861 against 0.961 in its test pieces over five streams), so
# its leak check, which would add about two hours, is skipped.
continuo train --data data/palestrina --name palestrina --out runs/palestrina --seed 0 --dropout 0.1 --epochs 250 \
    --patience 10 --no-leak-check
# The shipped Palestrina: that run fine-tuned on the same split (checked by piece digest) with transposition
# up to ±3 only. Its music stays near the corpus' keys (scale consistency 0.877 over 20 streams, 0.897 over
# five) and copies little (2.4% of 8-note pitch runs, against 25.1% for the composer's own test pieces).
# Without transposition it kept better to the keys (0.947, five streams) but copied 9.7%, over the 5% bound;
# the validation pieces' statistics (entropy 2.929, scale consistency 0.962) are those of the test pieces,
# so the choice holds on either.
continuo train --data data/palestrina --name palestrina --out runs/palestrina-t3 --seed 0 --dropout 0.1 \
    --epochs 30 --patience 6 --learning-rate 0.001 --transpose 3 --init-from runs/palestrina --no-leak-check
continuo evaluate --run runs/palestrina-t3 --leak-check

# Bach, fine-tuned from Palestrina in model format 2 (--duration-given-shift: the duration is drawn given the
# drawn shift). Fine-tuning rather than training from scratch: format 1, split seed 0, test pitch top-1
# 64.5% / 1.69 bits against 60.6% / 1.91 from scratch. Format 1 missed the issue's duration bar (74.2% on
# the mean of three seeds, bar 75%); what was tried against it within format 1 (loss weights, dropout,
# attention, a longer context, a lower learning rate) and the diagnostics that led to format 2 are in
# models/MODEL_CARD.md and training/recipes/duration_diagnostics.py. Seeds 1 and 2 only measure the spread
# across training seeds (each draws its own split); seed 0 ships. Its leak check runs 120 epochs.
for seed in 0 1 2; do
    continuo train --data data/bach --name bach --out "runs/bach-v2-s$seed" --seed "$seed" --dropout 0.1 --epochs 250 \
        --patience 10 --learning-rate 0.001 --init-from runs/palestrina --duration-given-shift --no-leak-check
done
continuo evaluate --run runs/bach-v2-s0 --leak-check --leak-check-epochs 120
mkdir -p models/reports
continuo evaluate --run runs/bach-v2-s0 --run runs/bach-v2-s1 --run runs/bach-v2-s2 --json > models/reports/bach.seeds.json

# The small corpora (Monteverdi 49 pieces, Beethoven 22, Mozart 16, Haydn 9) fall below their own 5-gram
# from scratch, so they are fine-tuned from Palestrina. (Tried: from the Bach run, Mozart and Haydn predicted
# their test pieces better, 32.8% vs 28.1% and 21.8% vs 18.4%, but their generated music wandered between
# keys more, scale consistency 0.693 vs 0.735 and 0.704 vs 0.785 over five streams; not adopted.)
# All four without transposition: with it, their generated music wandered out of key. Scale consistency
# over 20 streams against their test pieces: haydn 0.853 vs 0.839 (0.750 with ±6, 0.728 with ±3); mozart
# 0.854 vs 0.937; monteverdi 0.912 vs 0.922 (with ±6, over five streams: 0.735 and 0.780); at a cost in test
# pitch top-1 (haydn 18.4% -> 14.6%, mozart 28.1% -> 22.0%, monteverdi 42.8% -> 40.1%; all still above their
# 5-gram).
# (The three lines differ only in the order of their options, as they were typed.)
continuo train --data data/haydn --name haydn --out runs/haydn-t0 --seed 0 --dropout 0.1 --epochs 250 --patience 10 \
    --learning-rate 0.001 --init-from runs/palestrina --no-leak-check --transpose 0
for composer in mozart monteverdi; do
    continuo train --data "data/$composer" --name "$composer" --out "runs/$composer-t0" --seed 0 --dropout 0.1 \
        --epochs 250 --patience 10 --learning-rate 0.001 --transpose 0 --init-from runs/palestrina --no-leak-check
done
for composer in haydn mozart monteverdi; do
    continuo evaluate --run "runs/$composer-t0" --leak-check
done
# Beethoven starts from the shipped Palestrina (±3) with dropout 0.25: scale consistency 0.775 vs 0.824 over
# 20 streams, test pitch top-1 24.0%. Tried, each scored the same way: from runs/palestrina at dropout 0.1
# 0.739 (22.8%); from the Mozart run 0.736 (24.0%); from runs/palestrina-t3 at dropout 0.1 0.743 (22.9%);
# with --transpose 2 0.728 (28.1%). The validation pieces rank these variants in the same order.
continuo train --data data/beethoven --name beethoven --seed 0 --epochs 250 --patience 10 --learning-rate 0.001 \
    --no-leak-check --transpose 0 --dropout 0.25 --out runs/beethoven-t0d25 --init-from runs/palestrina-t3
continuo evaluate --run runs/beethoven-t0d25 --leak-check

declare -A SHIPPED_RUN=(
    [bach]=runs/bach-v2-s0 [palestrina]=runs/palestrina-t3 [monteverdi]=runs/monteverdi-t0
    [beethoven]=runs/beethoven-t0d25 [mozart]=runs/mozart-t0 [haydn]=runs/haydn-t0
)
for composer in bach palestrina monteverdi beethoven mozart haydn; do
    continuo export "${SHIPPED_RUN[$composer]}" -o "models/$composer.onnx" --seeds "models/seeds/$composer"
    # the musical report at temperature 1.0 over twenty streams (MusPy, from the offline extra); with five,
    # beethoven's and haydn's scale consistency passed on seeds 0-4 and missed on seeds 5-9
    continuo report --model "$composer" --data "data/$composer" --events 2000 --streams 20 --json \
        > "models/reports/$composer.json"
    # the test scores with and without the test pieces that are near-copies of training pieces
    continuo evaluate --model "models/$composer.onnx" --data "data/$composer" --near-copies --json \
        > "models/reports/$composer.near_copies.json"
done
continuo models --card > models/MODEL_CARD.md
continuo models
