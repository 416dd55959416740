#!/usr/bin/env bash
# Bounded fuzzing of every target in tests/fuzz (docs/fuzzing.md):
# builds the libFuzzer binaries with clang (build-fuzz) and the AFL++ ones
# with afl-clang-fast (build-afl), both with ASan + UBSan, then runs each
# target for SECONDS under libFuzzer and AFL_SECONDS under afl-fuzz,
# starting from a copy of its committed corpus, and prints one table row
# per target: libFuzzer executions, coverage (cov: edges after the seeds >
# at the end, ft: features), corpus kept, crashes (+ leaks, timeouts, OOMs);
# AFL++ executions, edges found / instrumented, crashes, hangs.
#
#   tests/fuzz/run-bounded.sh [SECONDS [AFL_SECONDS]]   (default 45 15)
#
# Environment:
#   FUZZ_TARGETS   targets to run (default: all of tests/fuzz/corpus/*)
#   FUZZ_JOBS      targets run at the same time (default 2)
#   FUZZ_OUT       work directory (default build-fuzz/fuzz-runs)
#   FUZZ_AFL=0     skip AFL++ (it is required otherwise)
#
# Exit status: 0 when no target crashed, leaked, timed out or hung; 1
# otherwise, with every reproducer copied to FUZZ_OUT/reproducers and the
# command that replays it printed; 2 when a build or tool is missing.
# Found inputs stay in FUZZ_OUT/NAME/corpus: merge the useful ones with
#   build-fuzz/tests/fuzz/fuzz-NAME -merge=1 tests/fuzz/corpus/NAME FUZZ_OUT/NAME/corpus
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
seconds=${1:-45}
afl_seconds=${2:-15}
jobs=${FUZZ_JOBS:-2}
out=${FUZZ_OUT:-build-fuzz/fuzz-runs}
use_afl=${FUZZ_AFL:-1}
targets=${FUZZ_TARGETS:-$(cd tests/fuzz/corpus && ls -d -- */ | tr -d / | tr '\n' ' ')}

die() { echo "run-bounded: $*" >&2; exit 2; }

# --- build --------------------------------------------------------------------
command -v clang >/dev/null || die "clang is not installed"
if [ "$use_afl" = 1 ]; then
  command -v afl-fuzz >/dev/null && command -v afl-clang-fast >/dev/null ||
    die "AFL++ is not installed (apt-get install afl++, or FUZZ_AFL=0)"
fi
build_dir() { # dir cc
  mkdir -p "$1"
  if [ ! -f "$1/build.ninja" ]; then
    CC=$2 nice -n 10 meson setup "$1" -Dfuzz=enabled >"$1/fuzz-setup.log" 2>&1 ||
      { tail -n 30 "$1/fuzz-setup.log" >&2; die "meson setup $1 failed"; }
  fi
  # only the fuzz binaries (and libtrustlab under them), not the whole tree
  AFL_QUIET=1 nice -n 10 meson compile -C "$1" $(printf 'fuzz-%s ' $targets) \
    >"$1/fuzz-build.log" 2>&1 ||
    { tail -n 30 "$1/fuzz-build.log" >&2; die "building the fuzz targets in $1 failed"; }
}
build_dir build-fuzz clang
[ "$use_afl" = 1 ] && build_dir build-afl afl-clang-fast

rm -rf "$out"
mkdir -p "$out/reproducers"
out=$(cd "$out" && pwd)

# --- one target ------------------------------------------------------------------
# Writes $out/NAME/row: NAME lf_execs seed_cov cov ft corpus lf_bad afl_execs edges/total
# afl_crashes afl_hangs
run_target() {
  set +e +o pipefail # a log without a match is an answer, not an error
  local name=$1 dir=$out/$1 bin=build-fuzz/tests/fuzz/fuzz-$1
  local lf_execs cov0 cov ft corp lf_bad=0 afl_execs=- edges=- afl_crashes=- afl_hangs=- f
  mkdir -p "$dir/corpus"
  cp tests/fuzz/corpus/"$name"/* "$dir/corpus/"
  # libFuzzer: leaks on (LSan), any UBSan report fatal (-fno-sanitize-recover),
  # 25 s per input is a hang on this machine whatever its load.
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    nice -n 10 "$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" >"$dir/libfuzzer.log" 2>&1 || true
  lf_execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/libfuzzer.log" | tail -n 1)
  # coverage after loading the seeds (INITED) and at the end; corp: the
  # inputs libFuzzer keeps for distinct features
  cov0=$(grep INITED "$dir/libfuzzer.log" | grep -o 'cov: [0-9]*' | head -n 1 | cut -d' ' -f2)
  cov=$(grep -o 'cov: [0-9]*' "$dir/libfuzzer.log" | tail -n 1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$dir/libfuzzer.log" | tail -n 1 | cut -d' ' -f2)
  corp=$(grep -o 'corp: [0-9]*' "$dir/libfuzzer.log" | tail -n 1 | cut -d' ' -f2)
  for f in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* "$dir"/slow-unit-*; do
    [ -e "$f" ] || continue
    lf_bad=$((lf_bad + 1))
    cp "$f" "$out/reproducers/$name-libfuzzer-$(basename "$f")"
  done
  # a run that ended without its final stats died some other way
  [ -n "$lf_execs" ] || lf_bad=$((lf_bad + 1))

  if [ "$use_afl" = 1 ] && [ "$afl_seconds" -gt 0 ]; then
    # afl-fuzz sets ASAN/UBSAN_OPTIONS itself (abort_on_error, no leak
    # check); -t 25000: the same hang limit as libFuzzer.
    AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_QUIET=1 \
      AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CRASHES=1 \
      nice -n 10 afl-fuzz -V "$afl_seconds" -t 25000 -m none -i "tests/fuzz/corpus/$name" \
      -o "$dir/afl" -- "build-afl/tests/fuzz/fuzz-$name" >"$dir/afl.log" 2>&1 || true
    local stats=$dir/afl/default/fuzzer_stats
    if [ -f "$stats" ]; then
      stat_of() { sed -n "s/^$1 *: *//p" "$stats"; }
      afl_execs=$(stat_of execs_done)
      edges="$(stat_of edges_found)/$(stat_of total_edges)"
      afl_crashes=$(stat_of saved_crashes)
      afl_hangs=$(stat_of saved_hangs)
      for f in "$dir"/afl/default/crashes/id:* "$dir"/afl/default/hangs/id:*; do
        [ -e "$f" ] || continue
        cp "$f" "$out/reproducers/$name-afl-$(basename "$(dirname "$f")")-$(basename "$f" | cut -d, -f1 | tr : -)"
      done
    else
      afl_crashes=1 # afl-fuzz did not start: count it as a failure
      tail -n 20 "$dir/afl.log" >&2
    fi
  fi
  echo "$name ${lf_execs:-0} ${cov0:-0} ${cov:-0} ${ft:-0} ${corp:-0} $lf_bad $afl_execs $edges" \
    "$afl_crashes $afl_hangs" >"$dir/row"
}

# --- run, FUZZ_JOBS at a time -----------------------------------------------------
echo "run-bounded: $seconds s libFuzzer + $afl_seconds s AFL++ per target, $jobs at a time: $targets"
running=0
for t in $targets; do
  [ -x "build-fuzz/tests/fuzz/fuzz-$t" ] || die "no target fuzz-$t"
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

# --- table ------------------------------------------------------------------------
bad=0
printf '\n%-9s %11s %9s %6s %7s %8s | %10s %10s %7s %5s\n' target "lf execs" "cov" ft corpus \
  "crashes" "afl execs" "afl edges" crashes hangs
for t in $targets; do
  read -r name lf_execs cov0 cov ft corp lf_bad afl_execs edges afl_crashes afl_hangs \
    <"$out/$t/row"
  printf '%-9s %11s %9s %6s %7s %8s | %10s %10s %7s %5s\n' "$name" "$lf_execs" "$cov0>$cov" \
    "$ft" "$corp" "$lf_bad" "$afl_execs" "$edges" "$afl_crashes" "$afl_hangs"
  [ "$lf_bad" = 0 ] || bad=1
  [ "$afl_crashes" = - ] || [ "$afl_crashes" = 0 ] || bad=1
  [ "$afl_hangs" = - ] || [ "$afl_hangs" = 0 ] || bad=1
done
if [ "$bad" = 1 ]; then
  echo
  echo "run-bounded: FAILED; logs in $out/NAME/{libfuzzer,afl}.log; reproducers:"
  for f in "$out"/reproducers/*; do
    [ -e "$f" ] || continue
    n=$(basename "$f" | cut -d- -f1)
    echo "  build-fuzz/tests/fuzz/fuzz-$n $f"
  done
  echo "Each becomes a regression input: copy it to tests/fuzz/corpus/NAME/crash-WHAT, fix, add a unit test."
  exit 1
fi
echo "run-bounded: no crash, leak, timeout or hang (logs in $out)"
