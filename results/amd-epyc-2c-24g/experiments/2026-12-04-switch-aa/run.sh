#!/bin/bash
# The README run: the switch groups twice back to back (A/A), the other timing groups, on a quiet machine
# (/work/QUIET pauses the helpers); then the counted and memory groups, whose figures do not move with load.
cd /work/wt-run
FULL=/work/run/full/criterion
AA2=/work/run/aa2/criterion
log() { echo "$(date -u +%H:%M:%S) $*" >> /work/run/times.txt; }
bench() { local home=$1; local name=$2; shift 2; local s=$(date +%s)
  CRITERION_HOME=$home cargo bench "$@" >> /work/run/$name.log 2>&1; local rc=$?
  log "$name exit $rc in $(( $(date +%s) - s )) s"; }
touch /work/QUIET
log start
bench $FULL switch-aa1 --bench handoff --bench yield
bench $AA2 switch-aa2 --bench handoff --bench yield
bench $FULL spawn --bench spawn
bench $FULL spawn_cold --bench spawn_cold
bench $FULL spawn_join --bench spawn_join
bench $FULL spawn_join_cold --bench spawn_join_cold
rm -f /work/QUIET
bench $FULL spawn_instructions --bench spawn_instructions
bench $FULL memory --bench heap_per_task --bench rss_per_task --bench kernel_per_task
bench $FULL state --bench state_heap --bench state_rss
log end
