#!/bin/bash
# Two back-to-back runs of the switch groups at N = 2 and 10^3 (issue 17's A/A), saved on this machine.
set -u
cd "$(dirname "$0")/.."
D=$PWD/.dev
export TASKBENCH_N=${N:-2,1000}
(nproc; lscpu; uname -a; cat /sys/kernel/mm/transparent_hugepage/enabled) > $OUT/machine.txt 2>&1
for run in ${RUNS:-1 2}; do
  H=/tmp/aa$run
  export CRITERION_HOME=$H/criterion
  start=$(date +%s)
  for g in handoff yield; do
    t0=$(date +%s)
    timeout ${LIMIT:-125} $D/$g --bench > $OUT/$g-$run.log 2>&1
    echo "run $run $g rc=$? $(( $(date +%s) - t0 )) s"
  done
  echo "run $run: $(( $(date +%s) - start )) s"
  $D/taskbench save --results-dir /tmp/res --label switch-aa$run --criterion-dir $H/criterion --records-dir $H/taskbench 2>&1 | tail -5
done
tar czf $OUT/runs.tgz -C /tmp/res .
ls -la $OUT
