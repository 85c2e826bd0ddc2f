#!/bin/bash
# Run 2: each timing group no earlier than an hour after its start in run 1 (yield excepted: right after spawn_join_cold).
cd /tmp/full
export CRITERION_HOME=/tmp/full/target2/criterion
for pair in handoff:18:02:17 spawn:18:10:19 spawn_cold:18:17:40 spawn_instructions:18:22:45 spawn_join:18:27:55 spawn_join_cold:18:31:37 yield:00:00:00; do
  g=${pair%%:*}; t=${pair#*:}
  if [ "$t" != "00:00:00" ]; then
    target=$(( $(date -u -d "2026-12-04 $t" +%s) + 3600 ))
    while [ $(date +%s) -lt $target ]; do sleep 1; done
  fi
  echo "$g start $(date -u +%H:%M:%S)"
  nice -n -10 cargo bench --bench $g >> /tmp/full.bench2.log 2>&1
  echo "$g rc=$? end $(date -u +%H:%M:%S)"
done
