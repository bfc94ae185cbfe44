#!/usr/bin/env bash
# Issue 13's comparison as session 11 ran it: one sitting of every suite (the reference, then ours), then PAIRS
# short pairs of the inference suites, alternating which side runs first, then the ratios per run against the
# issue's targets (summarize.py). This VM's speed moves by tens of percent within an hour, so only same-sitting
# pairs are compared, and one run decides nothing: look at the range over the runs.
#
# usage: tools/reference-bench/alternate.sh NVIDIA_TACOTRON2_DIR OUT_DIR [PAIRS]   (PAIRS default 4; ~40 min)
# Run nothing else meanwhile: a shell command during a timed decode shows in its figure.
set -euo pipefail

nvidia=${1:?usage: alternate.sh NVIDIA_TACOTRON2_DIR OUT_DIR [PAIRS]}
out=${2:?usage: alternate.sh NVIDIA_TACOTRON2_DIR OUT_DIR [PAIRS]}
pairs=${3:-4}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export OMP_WAIT_POLICY=PASSIVE AS_INSTALLED=0

dotnet build -c Release "$repo/test/MlNetTts.Benchmarks" -v quiet -nologo
bench=("$repo"/test/MlNetTts.Benchmarks/bin/Release/net*/MlNetTts.Benchmarks.dll)
ours() { dotnet "${bench[0]}" "$@"; }

mkdir -p "$out/sitting"
echo "== sitting: reference $(date -u +%T)"
"$here/run.sh" "$nvidia" "$out/sitting" > "$out/sitting/reference.log"
echo "== sitting: ours $(date -u +%T)"
ours tacotron2-decoder memory-bandwidth waveglow-infer training --json "$out/sitting" > "$out/sitting/ours.log"
reference() { echo "== pair $i: reference $(date -u +%T)"; "$here/run.sh" "$nvidia" "$out/pairs/$i" tacotron2-decoder waveglow-infer > /dev/null; }
our_side() { echo "== pair $i: ours $(date -u +%T)"; ours tacotron2-decoder memory-bandwidth waveglow-infer --json "$out/pairs/$i" > /dev/null; }
for ((i = 1; i <= pairs; i++)); do
  if ((i % 2)); then reference; our_side; else our_side; reference; fi
done
echo "== done $(date -u +%T)"
/usr/bin/python3 "$here/summarize.py" "$out"
