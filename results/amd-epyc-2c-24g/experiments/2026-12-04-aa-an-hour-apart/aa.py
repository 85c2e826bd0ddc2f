#!/usr/bin/env python3
"""Two saved runs, A then B: memory within 1%, instruction counts within 1%, each timing cell's ratio to
floor and to tokio-ct (paired by round where both cells' samples are round-aligned, else the ratio of medians)
within 15%, the absolute medians within 15%, and the absolute medians divided by how far the machine reference
moved (its fixed workload; its wake). Every ratio is counted symmetrically, max(r, 1/r)."""
import json, sys, statistics as st
def load(p):
    s = json.load(open(p + '/summary.json'))
    inter = {g['group']: g.get('interleaved', False) for g in s['groups']}
    refs = [r for g in s['groups'] for r in g.get('machine_reference', [])]
    return {b['id']: b for b in s['benchmarks']}, inter, refs
(a, ia, ra), (b, ib, rb) = load(sys.argv[1]), load(sys.argv[2])
def ref(rs, key):
    v = [r[key] for r in rs if r.get(key)]
    return st.median(v) if v else None
moved = {}
for key in ('workload_ns', 'wake_ns'):
    x, y = ref(ra, key), ref(rb, key)
    print(f'machine reference {key}: A {x} ({len(ra)} readings), B {y} ({len(rb)} readings)' +
          (f', B/A {y / x:.3f}' if x and y else ''))
    if x and y: moved[key] = y / x
def to_row(run, inter, bid, row):
    x = run[bid]; g, m, n = bid.split('/')
    f = run.get(f'{g}/{row}/{n}')
    if not f or m == row: return None
    if inter.get(g):
        k = min(len(x['samples']), len(f['samples']))
        return st.median([x['samples'][i] / f['samples'][i] for i in range(k)]), 'paired'
    return x['per_task']['point'] / f['per_task']['point'], 'medians'
sym = lambda r: max(r, 1 / r) if r > 0 else float('inf')
mem, ins, absw, absc = [], [], [], []
per = {(row, t): [] for row in ('floor', 'tokio-ct') for t in ('warm', 'cold')}
norm = {k: [] for k in moved}
for bid in sorted(set(a) & set(b)):
    g = bid.split('/')[0]
    r = b[bid]['per_task']['point'] / a[bid]['per_task']['point'] if a[bid]['per_task']['point'] else float('nan')
    if g in ('heap_per_task', 'rss_per_task', 'kernel_per_task', 'state_heap', 'state_rss'):
        mem.append((sym(r), bid))
    elif g == 'spawn_instructions':
        ins.append((sym(r), bid))
    elif g in ('spawn', 'spawn_join', 'spawn_cold', 'spawn_join_cold', 'handoff', 'yield'):
        t = 'cold' if 'cold' in g else 'warm'
        (absc if t == 'cold' else absw).append((sym(r), bid))
        for k, m in moved.items():
            norm[k].append((sym(r / m), bid))
        for row in ('floor', 'tokio-ct'):
            fa, fb = to_row(a, ia, bid, row), to_row(b, ib, bid, row)
            if fa and fb:
                per[(row, t)].append((sym(fb[0] / fa[0]), bid, fa[1] + '/' + fb[1]))
def show(name, rows, limit):
    if not rows: print(f'{name}: none'); return
    ok = sum(1 for r in rows if r[0] <= 1 + limit)
    print(f'{name}: {ok} of {len(rows)} within {limit*100:.0f}% ({100*ok/len(rows):.0f}%); median {st.median([r[0] for r in rows]):.3f}; worst: ' +
          ', '.join(f'{r[1]} {r[0]:.2f}' for r in sorted(rows, reverse=True)[:3]))
show('memory', mem, 0.01); show('instructions', ins, 0.01)
for (row, t), rows in per.items():
    show(f'{t} timing, ratio to {row}', rows, 0.15)
show('warm timing, absolute medians', absw, 0.15); show('cold timing, absolute medians', absc, 0.15)
for k, rows in norm.items():
    show(f'timing, absolute medians divided by the reference\'s {k} move', rows, 0.15)
