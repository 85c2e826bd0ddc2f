#!/usr/bin/env python3
"""A/A of the switch groups: two saved runs' medians per cell, counted symmetrically (max(r, 1/r))."""
import json, sys
a, b = (json.load(open(p + '/summary.json')) for p in sys.argv[1:3])
groups = sys.argv[3].split(',') if len(sys.argv) > 3 else ['handoff', 'yield']
ns = [int(x) for x in sys.argv[4].split(',')] if len(sys.argv) > 4 else None
cell = lambda s: {x['id']: x['per_task']['point'] for x in s['benchmarks'] if x['group'] in groups and (ns is None or x['n'] in ns)}
ca, cb = cell(a), cell(b)
common = sorted(set(ca) & set(cb))
rows = [(max(ca[i] / cb[i], cb[i] / ca[i]), i, ca[i], cb[i]) for i in common]
within = sum(r <= 1.15 for r, *_ in rows)
print(f"{len(common)} cells in both; within 15%: {within} ({100 * within / len(common):.0f}%); within 25%: {sum(r <= 1.25 for r, *_ in rows)}")
print("worst:")
for r, i, x, y in sorted(rows, reverse=True)[:6]:
    print(f"  {i}: {x:.1f} vs {y:.1f} ns, ratio {r:.2f}")
