#!/usr/bin/env bash
# NVIDIA's reference timed on this machine, twice: with Debian's PyTorch as installed (its BLAS is the unoptimised
# reference BLAS) and with its matrix products routed to oneDNN (the column issue 13 and
# ../shared/notes/reference-bench.md compare against). Run it in the same sitting as our suites, e.g.
#   OMP_WAIT_POLICY=PASSIVE dotnet run -c Release --project test/MlNetTts.Benchmarks -- tacotron2-decoder waveglow-infer training --json results/
#
# usage: tools/reference-bench/run.sh NVIDIA_TACOTRON2_DIR OUT_DIR [SUITE...]
#   NVIDIA_TACOTRON2_DIR: DeepLearningExamples/PyTorch/SpeechSynthesis/Tacotron2 from a clone made elsewhere.
#   SUITE: tacotron2-decoder waveglow-infer tacotron2-train waveglow-train (default: all four).
#   REPS (env, default 5; training suites use 3) and AS_INSTALLED=0 (skip the as-installed pass: its Tacotron 2
#   training step takes minutes) change the run.
#   needs: apt-get install python3-torch python3-numpy libdnnl2 gcc   (Debian's PyTorch 1.13, as the note used)
set -euo pipefail

nvidia=${1:?usage: run.sh NVIDIA_TACOTRON2_DIR OUT_DIR [SUITE...]}
out=${2:?usage: run.sh NVIDIA_TACOTRON2_DIR OUT_DIR [SUITE...]}
shift 2
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(tacotron2-decoder waveglow-infer tacotron2-train waveglow-train)
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3   # Debian's interpreter, the one python3-torch installs into
"$python" -c "import torch" 2>/dev/null || { echo "run.sh: $python cannot import torch (apt-get install python3-torch python3-numpy)" >&2; exit 1; }
dnnl=$(ldconfig -p | awk '/libdnnl\.so\.2 /{print $NF; exit}')
[ -n "$dnnl" ] || { echo "run.sh: libdnnl.so.2 not found (apt-get install libdnnl2)" >&2; exit 1; }

mkdir -p "$out"
shim=$(mktemp -d)/libdnnlblas.so
gcc -O2 -shared -fPIC -o "$shim" "$here/dnnl_blas.c" "$dnnl"
# The shim must compute what the BLAS would: products of every shape the models use, against float64.
LD_PRELOAD=$shim "$python" - <<'PY'
import torch
torch.manual_seed(0)
worst = 0.0
def check(got, exact):
    global worst
    worst = max(worst, ((got.double() - exact).abs().max() / exact.abs().max()).item())
for m, k, n in ((1, 1280, 4096), (4, 1280, 4096), (8, 1536, 4096), (1024, 1024, 1024), (3, 5, 7)):
    a, b = torch.randn(m, k), torch.randn(k, n)
    exact = a.double() @ b.double()
    for got in (a @ b, (b.t() @ a.t()).t(), torch.nn.functional.linear(a, b.t().contiguous())):
        check(got, exact)
    for v in (torch.randn(k), torch.randn(2 * k)[::2]):   # matrix-vector products, unit and strided x
        check(b.t() @ v, b.double().t() @ v.double())
        check(a @ v, a.double() @ v.double())
if worst > 1e-5:
    raise SystemExit(f"run.sh: the oneDNN shim's products are wrong (relative error {worst:.2e})")
print(f"oneDNN shim checked against float64: worst relative error {worst:.1e}")
PY
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

for suite in "${suites[@]}"; do
  reps=${REPS:-5}
  case "$suite" in *-train) reps=${REPS:-3} ;; esac
  echo "== $suite, matrix products through oneDNN"
  LD_PRELOAD=$shim "$python" "$here/bench_reference.py" "$nvidia" "$suite" --reps "$reps" --json "$out/reference-$suite-onednn.json"
  if [ "${AS_INSTALLED:-1}" != 0 ]; then
    echo "== $suite, as installed"
    "$python" "$here/bench_reference.py" "$nvidia" "$suite" --reps "$reps" --json "$out/reference-$suite-as-installed.json"
  fi
done
echo "JSON in $out"
