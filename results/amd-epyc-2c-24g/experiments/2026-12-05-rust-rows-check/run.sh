#!/bin/bash
# Builds the check outside /work/main, runs each row x shape 5 times (a fresh process each, rounds interleaved),
# and prints the raw lines, then medians and ranges beside the committed run's figures. Usage: ./run.sh > output.txt
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR=/tmp/rust-rows-check-target
nice -n 19 cargo build --release --offline -q
B=$CARGO_TARGET_DIR/release/rust-rows-check
echo "# $(date -u +%FT%TZ) $(uname -r) $(rustc --version) nproc=$(nproc) $(grep -m1 'model name' /proc/cpuinfo)"
echo "# load before: $(cat /proc/loadavg)"
for rep in 1 2 3 4 5; do
  for shape in flat nested; do
    for row in tokio-local smol-local futures-pool compio; do
      echo "rep=$rep $(timeout 120 nice -n 19 "$B" "$row" 100000 "$shape")"
    done
  done
done | tee /tmp/rust-rows-check-raw.txt
echo "# load after: $(cat /proc/loadavg)"
python3 - /tmp/rust-rows-check-raw.txt ../../2026-12-05T0112Z-full/summary.json <<'PY'
import json, statistics, sys
runs = [dict(kv.split("=", 1) for kv in l.split()) for l in open(sys.argv[1])]
summary = json.load(open(sys.argv[2]))
row_fig = {(b["group"], b["model"]): b["median"]["point"] for b in summary["benchmarks"] if b["n"] == 100000}
print("# medians of 5 runs (min to max); row = 2026-12-05T0112Z-full summary.json median at N=100000")
for shape in ("flat", "nested"):
    for model in ("tokio-local", "smol-local", "futures-pool", "compio"):
        rs = [r for r in runs if r["row"] == model and r["shape"] == shape]
        fb = sorted({r["future_B"] for r in rs})
        for key, group in (("heap_B_per_task", "heap_per_task"), ("rss_B_per_task", "rss_per_task"),
                           ("usable_B_per_task", None), ("allocs_per_task", None)):
            v = [float(r[key]) for r in rs]
            med = statistics.median(v)
            line = f"{shape:6} {model:12} {key:18} median {med:9.2f} ({min(v):.2f} to {max(v):.2f}) future_B={','.join(fb)}"
            if group:
                row = row_fig[(group, model)]
                line += f" | row {row:.2f} | row/check {row / med:.3f}"
            print(line)
PY
