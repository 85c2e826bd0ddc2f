#!/bin/bash
# Two back-to-back runs of the switch groups at the default N on this machine, each saved.
cd /work/main
for run in 1 2; do
  export CRITERION_HOME=/tmp/laa$run/criterion
  for g in handoff yield; do
    t0=$(date +%s)
    cargo bench --bench $g > /tmp/laa-$g-$run.log 2>&1
    echo "run $run $g rc=$? $(( $(date +%s) - t0 )) s $(date -u +%H:%M:%S)"
  done
  ./target/release/taskbench save --label switch-local-aa$run --criterion-dir /tmp/laa$run/criterion --records-dir /tmp/laa$run/taskbench 2>&1 | tail -3
done
