#!/usr/bin/env python3
"""Why the A/A pair disagrees: each worst cell's per-process values (ns per hand-off or yield) in both runs,
and the agreement of the means beside the medians'."""
import json, sys
runs = [json.load(open(p + '/summary.json')) for p in sys.argv[1:3]]
cells = [{b['id']: b for b in s['benchmarks'] if b['group'] in ('handoff', 'yield')} for s in runs]
common = sorted(set(cells[0]) & set(cells[1]))
for stat in ('per_task', 'mean_per_task'):
    for label, keep in (('N = 2, 10^3', lambda i: not i.endswith('/100000')), ('every N', lambda i: True)):
        ids = [i for i in common if keep(i)]
        r = [max(a / b, b / a) for a, b in ((cells[0][i][stat]['point'], cells[1][i][stat]['point']) for i in ids)]
        print(f"{stat:14} {label:11}: {sum(x <= 1.15 for x in r)} of {len(r)} within 15%")
# Each row's ratio to the floor's row of the same group and N, in each run.
floor = lambda c, i: c.get('/'.join([i.split('/')[0], 'floor', i.split('/')[2]]))
ids = [i for i in common if '/floor/' not in i and floor(cells[0], i) and floor(cells[1], i)]
r = [(cells[0][i]['per_task']['point'] / floor(cells[0], i)['per_task']['point'])
     / (cells[1][i]['per_task']['point'] / floor(cells[1], i)['per_task']['point']) for i in ids]
print(f"ratio to floor every N: {sum(max(x, 1 / x) <= 1.15 for x in r)} of {len(r)} within 15%")
for i in ('yield/tokio-ct/1000', 'handoff/compio/2', 'yield/thread/2'):
    for k, c in enumerate(cells):
        print(f"{i} run {k + 1}:", [round(v) for v in sorted(c[i]['samples'])])
