"""Median per cell of two Criterion folders, side by side, for the memory groups keyed by N (the state groups'
N differ between these runs). Usage: compare.py CRITERION_A CRITERION_B"""
import json,os,sys
a,b=sys.argv[1],sys.argv[2]
rows=[]
for g in ['heap_per_task','rss_per_task','kernel_per_task']:
    gd=os.path.join(b,g)
    if not os.path.isdir(gd): continue
    for m in sorted(os.listdir(gd)):
        md=os.path.join(gd,m)
        if not os.path.isdir(md) or m=='report': continue
        for n in sorted(os.listdir(md), key=lambda x: int(x) if x.isdigit() else -1):
            if not n.isdigit(): continue
            fb=os.path.join(md,n,'new','estimates.json'); fa=os.path.join(a,g,m,n,'new','estimates.json')
            if not (os.path.exists(fa) and os.path.exists(fb)): continue
            va=json.load(open(fa))['median']['point_estimate']; vb=json.load(open(fb))['median']['point_estimate']
            r=vb/va if va else float('nan')
            rows.append((g,m,n,va,vb,r))
bad=0
for g,m,n,va,vb,r in rows:
    s=max(r,1/r) if r>0 else float('inf')
    flag='' if s<=1.01 else ' <-- %.1f%%'%((s-1)*100)
    if flag: bad+=1
    print(f"{g}/{m}/{n}: {va:.2f} -> {vb:.2f}  x{r:.4f}{flag}")
print(f"{len(rows)} cells, {bad} beyond 1%")
