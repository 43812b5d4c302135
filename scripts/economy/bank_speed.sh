#!/bin/bash
# Banking speed: the clips of index_stats.sh (run it first: it makes clips/) banked one `ban` each
# per recipe, against `ffmpeg -f null` of the same files (CPU user+sys).
OUT=${OUT:-/tmp/staydown-economy}; SD=$(realpath "${SD:-target/release/staydown}"); mkdir -p "$OUT" && cd "$OUT" || exit 1
clips="/work/corpus/R/bbb-360p.mp4 /work/corpus/R/bikes.mp4 /work/corpus/D/carphone_pristine.mp4 /work/corpus/extra/box.mp4 /work/corpus/extra/cup.mp4 clips/vtest20.mp4 clips/tree20.mp4 clips/megamind.mp4"
for r in default legacy; do rm -rf sp-$r; /usr/bin/time -f "ban $r: user %U sys %S wall %e" bash -c "for c in $clips; do $SD ban --index sp-$r --recipe $r \$c >/dev/null; done"; done
/usr/bin/time -f "ffmpeg -f null: user %U sys %S wall %e" bash -c "for c in $clips; do ffmpeg -loglevel error -i \$c -f null -; done"
