#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang in build/fuzz and runs each for a bounded time
# (FUZZ_SECONDS, 8 by default) from its committed seed corpus. New inputs go to a temporary
# folder, so the checkout stays clean; a crash leaves its input in build/fuzz/crashes/ and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-8}"
# In CI one seed, so that a run explores the same inputs as the one before it; what a longer or
# randomly seeded run finds goes into the corpus and a unit test.
seed=()
[ "${CI:-}" = "true" ] && seed=(-seed="${FUZZ_SEED:-1}")
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S fuzz -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/fuzz
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p build/fuzz/crashes
failed=0
passed=0
for corpus in fuzz/corpus/*/; do
  name="$(basename "$corpus")"
  mkdir -p "$scratch/$name"
  if build/fuzz/fuzz_"$name" "${seed[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=0 \
       -artifact_prefix=build/fuzz/crashes/"$name"- "$scratch/$name" "$corpus" >"$scratch/$name.log" 2>&1; then
    echo "fuzz $name: $(grep -o 'Done [0-9]* runs' "$scratch/$name.log" | tail -1 || echo done) in ${seconds} s, no crash"
    passed=$((passed + 1))
  else
    echo "fuzz $name: FAILED"; tail -40 "$scratch/$name.log"
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
