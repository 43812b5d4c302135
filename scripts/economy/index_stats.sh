#!/bin/bash
# Hashes and bytes per banked second of real footage, per banking recipe.
OUT=${OUT:-/tmp/staydown-economy}; SD=$(realpath "${SD:-target/release/staydown}"); mkdir -p "$OUT" && cd "$OUT" || exit 1
clips="/work/corpus/R/bbb-360p.mp4 /work/corpus/R/bikes.mp4 /work/corpus/D/carphone_pristine.mp4 /work/corpus/extra/box.mp4 /work/corpus/extra/cup.mp4 clips/vtest20.mp4 clips/tree20.mp4 clips/megamind.mp4"
mkdir -p clips
[ -f clips/vtest20.mp4 ] || ffmpeg -loglevel error -y -i /work/corpus/extra/vtest.avi -t 20 -c:v libx264 -crf 18 clips/vtest20.mp4
[ -f clips/tree20.mp4 ] || ffmpeg -loglevel error -y -i /work/corpus/extra/tree.avi -t 20 -c:v libx264 -crf 18 clips/tree20.mp4
[ -f clips/megamind.mp4 ] || ffmpeg -loglevel error -y -i /work/corpus/extra/Megamind.avi -c:v libx264 -crf 18 clips/megamind.mp4
for recipe in ${RECIPES:-default dense whole legacy}; do
  rm -rf idx-$recipe
  start=$(date +%s.%N)
  for c in $clips; do nice -n 10 $SD ban --index idx-$recipe --recipe $recipe $c > /dev/null || echo "FAILED $c"; done
  end=$(date +%s.%N)
  $SD index compact --index idx-$recipe > /dev/null
  echo "== $recipe (banking wall $(echo "$end - $start" | bc) s)"
  $SD index stats --index idx-$recipe | grep -E "stored hashes|stored video|segment bytes|bytes per"
done
