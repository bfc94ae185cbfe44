"""Issue 13's targets checked per run from the JSON of alternate.sh (or any folder of runs laid out the same way:
RUN/reference-<suite>-onednn.json beside our suites' <suite>.json). Ratio = our speed / the reference's."""
import json
import pathlib
import sys


def load(run, name):
    path = run / name
    return json.loads(path.read_text()) if path.exists() else None


def main(root):
    runs = [root / "sitting"] + sorted((root / "pairs").glob("*"), key=lambda p: int(p.name))
    checks = failed = 0
    for run in runs:
        if not run.is_dir():
            continue
        lines = []

        def check(what, value, target, higher_is_better=True):
            nonlocal checks, failed
            ok = value >= target if higher_is_better else value <= target
            checks += 1
            failed += not ok
            lines.append(f"  {what:52s} {value:6.2f}x  target {'>=' if higher_is_better else '<='} {target}x  {'ok' if ok else 'MISSED'}")

        ref, ours = load(run, "reference-tacotron2-decoder-onednn.json"), load(run, "tacotron2-decoder.json")
        if ref and ours:
            per_batch = {row["batch"]: row["median_ms_per_step"] for row in ref["rows"]}
            for batch, precision, path, median, _ in ours["rows"]:
                if path == "C# loop":
                    need = 1.0 if precision == "Float32" else 1.8
                    check(f"decoder batch {batch} {precision} (median ms/step)", per_batch[int(batch)] / float(median), need)
        ref, ours = load(run, "reference-waveglow-infer-onednn.json"), load(run, "waveglow-infer.json")
        if ref and ours:
            reference = ref["rows"][0]["samples_per_s"]
            for row in ours["rows"]:
                if row[0] in ("Float32", "Mixed"):
                    check(f"WaveGlow 256 inference {row[0]} (samples/s)", float(row[4]) / reference, 1.0 if row[0] == "Float32" else 1.5)
        bandwidth = load(run, "memory-bandwidth.json")
        if bandwidth:
            for row in bandwidth["rows"]:
                if row[0].startswith("measured / lower floor") and row[1] == "2":
                    check(f"batch-1 step / floor {row[2]} (best; lower is better)", float(row[4]), 1.5, higher_is_better=False)
        training = load(run, "training.json")
        t2, wg = load(run, "reference-tacotron2-train-onednn.json"), load(run, "reference-waveglow-train-onednn.json")
        if training:
            rate = {(row[0], row[1]): float(row[5]) for row in training["rows"]}
            if t2:
                reference = t2["rows"][0]["mel_frames_per_s"]
                check("Tacotron 2 training Float32 (mel frames/s)", rate[("Tacotron 2", "Float32")] / reference, 1.0)
                check("Tacotron 2 training Mixed (mel frames/s)", rate[("Tacotron 2", "Mixed")] / reference, 1.5)
            check("WaveGlow 256 training Mixed / our Float32", rate[("WaveGlow 256", "Mixed")] / rate[("WaveGlow 256", "Float32")], 1.3)
            if wg:
                lines.append(f"  (WaveGlow 256 training Float32 / reference: {rate[('WaveGlow 256', 'Float32')] / wg['rows'][0]['samples_per_s']:.2f}x, no target)")
        print(f"== {run.relative_to(root)}")
        print("\n".join(lines))
    print(f"{checks - failed} of {checks} target checks held")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "."))
