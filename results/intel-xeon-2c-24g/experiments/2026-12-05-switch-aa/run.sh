#!/bin/bash
# Back-to-back runs of the switch groups at the default N with run 1's binaries (clean clone /tmp/run1), each saved to /tmp/sw.
cd /tmp/run1 || exit 1
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
for run in "$@"; do
  export CRITERION_HOME=/tmp/saa$run/criterion
  for g in handoff yield; do
    t0=$(date +%s)
    nice -n -10 cargo bench --bench $g > /tmp/saa-$g-$run.log 2>&1
    echo "run $run $g rc=$? $(( $(date +%s) - t0 )) s $(date -u +%H:%M:%S)"
  done
  ./target/release/taskbench save --label switch-aa$run --criterion-dir /tmp/saa$run/criterion --records-dir /tmp/saa$run/taskbench --results-dir /tmp/sw 2>&1 | tail -2
done
