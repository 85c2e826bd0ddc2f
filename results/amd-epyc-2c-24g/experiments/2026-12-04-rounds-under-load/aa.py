#!/usr/bin/env python3
"""Two saved runs: memory within 1%, instruction counts within 1%, each timing cell's ratio to floor (paired
by round where both cells' samples are round-aligned, else the ratio of medians) within 15%, counted max(r,1/r)."""
import json, sys, statistics as st
def load(p):
    s = json.load(open(p + '/summary.json'))
    inter = {g['group']: g.get('interleaved', False) for g in s['groups']}
    return {b['id']: b for b in s['benchmarks']}, inter
(a, ia), (b, ib) = load(sys.argv[1]), load(sys.argv[2])
def floor_ratio(run, inter, bid):
    x = run[bid]; g, m, n = bid.split('/')
    f = run.get(f'{g}/floor/{n}')
    if not f or m == 'floor': return None
    if inter.get(g):
        k = min(len(x['samples']), len(f['samples']))
        return st.median([x['samples'][i] / f['samples'][i] for i in range(k)]), 'paired'
    return x['per_task']['point'] / f['per_task']['point'], 'medians'
mem, ins, warm, cold, absw = [], [], [], [], []
for bid in sorted(set(a) & set(b)):
    g = bid.split('/')[0]
    r = b[bid]['per_task']['point'] / a[bid]['per_task']['point'] if a[bid]['per_task']['point'] else float('nan')
    sym = max(r, 1 / r) if r > 0 else float('inf')
    if g in ('heap_per_task', 'rss_per_task', 'kernel_per_task', 'state_heap', 'state_rss'):
        mem.append((sym, bid))
    elif g == 'spawn_instructions':
        ins.append((sym, bid))
    elif g in ('spawn', 'spawn_join', 'spawn_cold', 'spawn_join_cold', 'handoff', 'yield'):
        fa, fb = floor_ratio(a, ia, bid), floor_ratio(b, ib, bid)
        absw.append((sym, bid))
        if fa and fb:
            q = fb[0] / fa[0]; q = max(q, 1 / q)
            (cold if 'cold' in g else warm).append((q, bid, fa[1] + '/' + fb[1]))
def show(name, rows, limit):
    if not rows: print(f'{name}: none'); return
    ok = sum(1 for r in rows if r[0] <= 1 + limit)
    print(f'{name}: {ok} of {len(rows)} within {limit*100:.0f}% ({100*ok/len(rows):.0f}%); worst: ' +
          ', '.join(f'{r[1]} {r[0]:.2f}' for r in sorted(rows, reverse=True)[:4]))
show('memory', mem, 0.01); show('instructions', ins, 0.01)
show('warm timing, ratio to floor', warm, 0.15); show('cold timing, ratio to floor', cold, 0.15)
show('timing absolute medians', absw, 0.15)
