#!/bin/bash
# Trade-off on real footage only: recall per row for several banking recipes (and 1 fps uploads).
SD=$(realpath "${SD:-target/release/staydown}"); OUT=${OUT:-/tmp/staydown-tradeoff}; mkdir -p "$OUT" && cd "$OUT" || exit 1
ROWS=identity,crf38,crop10,crop15,zoom80,offcentre,caption,logo,mirror,rotate5,pip-half,quote3s
for setting in default whole dense legacy default-fps1; do
  recipe=${setting%-fps1}; extra=""
  [ "$setting" = default-fps1 ] && extra="--fps 1"
  ( time nice -n 5 $SD eval --refs /work/corpus/R --distractors /work/corpus/D \
      --recipe $recipe $extra --only $ROWS --json $setting.json > $setting.txt 2>&1 ) 2> $setting.time
done
