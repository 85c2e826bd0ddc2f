#!/usr/bin/env bash
# Is a warm spawn slower than a cold one for models spawned from outside the runtime? A designed experiment:
# the same cells, warm (`spawn`) and cold (`spawn_cold`), in alternating order over several rounds, so that a
# slow period of the machine falls on both alike, and the warm/cold ratio is read within each round.
#
#   scripts/warm-vs-cold.sh OUT_DIR [ROUNDS] [N]
#
# Writes OUT_DIR/round-<r>-<group>/ (Criterion's files and the cells' records of each bench run),
# OUT_DIR/ratios.tsv (one line per round and model: warm and cold medians in ns per task, and their ratio)
# and OUT_DIR/summary.txt (per model: the ratio's median and range over the rounds), and prints the summary.
# Models: TASKBENCH_MODELS (default floor,tokio-mt,smol,async-std, spawned from outside, and tokio-ct, which
# spawns from inside, as the control).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:?usage: scripts/warm-vs-cold.sh OUT_DIR [ROUNDS] [N]}
rounds=${2:-4}
n=${3:-1000000}
export TASKBENCH_MODELS=${TASKBENCH_MODELS:-floor,tokio-mt,smol,async-std,tokio-ct}
export TASKBENCH_N=$n
if [ -e "$out" ]; then
  echo "warm-vs-cold: $out exists; choose a new folder (nothing is overwritten)" >&2
  exit 2
fi
mkdir -p "$out"

# Built once, and the built binaries run directly: `cargo bench` in each round would rebuild whatever the
# sources had become meanwhile, and the rounds would be measured by different builds.
declare -A exe
while read -r name path; do exe[$name]=$path; done < <(
  cargo bench --locked --no-run --bench spawn --bench spawn_cold --message-format=json 2>/dev/null |
    python3 -c 'import json, sys
for m in map(json.loads, sys.stdin):
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["target"]["name"], m["executable"])')
for group in spawn spawn_cold; do
  [ -x "${exe[$group]:-}" ] || { echo "warm-vs-cold: could not build the $group bench" >&2; exit 1; }
done
{
  echo "command: scripts/warm-vs-cold.sh $out $rounds $n"
  echo "models: $TASKBENCH_MODELS"
  echo "commit: $(git rev-parse HEAD)$(git diff --quiet HEAD -- src benches scripts Cargo.toml Cargo.lock || echo ' (dirty)')"
  echo "binaries: ${exe[spawn]} ${exe[spawn_cold]}"
  echo "started: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/conditions.txt"

for r in $(seq 1 "$rounds"); do
  # Odd rounds warm first, even rounds cold first: neither temperature always follows the other.
  if [ $((r % 2)) -eq 1 ]; then order="spawn spawn_cold"; else order="spawn_cold spawn"; fi
  for group in $order; do
    home="$out/round-$r-$group"
    echo "warm-vs-cold: round $r of $rounds, $group" >&2
    CRITERION_HOME="$home/criterion" "${exe[$group]}" --bench --noplot "^$group/" \
      >"$home.log" 2>&1 || { echo "warm-vs-cold: $group failed in round $r; see $home.log" >&2; exit 1; }
  done
done
echo "finished: $(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$out/conditions.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/conditions.txt"

python3 - "$out" "$rounds" "$n" <<'PY'
import json, os, statistics, sys
out, rounds, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
models = os.environ["TASKBENCH_MODELS"].split(",")

def median_ns_per_task(r, group, model):
    path = f"{out}/round-{r}-{group}/criterion/{group}/{model}/{n}/new/estimates.json"
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"] / n

rows, ratios = ["round\tmodel\twarm_ns\tcold_ns\twarm_over_cold"], {m: [] for m in models}
for r in range(1, rounds + 1):
    for m in models:
        warm, cold = median_ns_per_task(r, "spawn", m), median_ns_per_task(r, "spawn_cold", m)
        ratios[m].append(warm / cold)
        rows.append(f"{r}\t{m}\t{warm:.1f}\t{cold:.1f}\t{warm / cold:.3f}")
with open(f"{out}/ratios.tsv", "w") as f:
    f.write("\n".join(rows) + "\n")
lines = [f"warm/cold spawn time at N = {n}, {rounds} rounds (below 1: warm is faster)",
         "model\tmedian\tmin\tmax\trounds with warm slower"]
for m in models:
    v = ratios[m]
    lines.append(f"{m}\t{statistics.median(v):.3f}\t{min(v):.3f}\t{max(v):.3f}\t{sum(x > 1 for x in v)} of {len(v)}")
with open(f"{out}/summary.txt", "w") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
