import subprocess,sys,time,json,os,glob
def binary(group):
    c=[p for p in glob.glob(f'/work/main/target/release/deps/{group}-*') if os.access(p,os.X_OK) and '.' not in os.path.basename(p)]
    return max(c,key=os.path.getmtime)
cells=sys.argv[2:]; reps=int(sys.argv[1]); out={}
for cell in cells:
    g=cell.split('/')[0]; exe=binary(g); vals=[]; walls=[]
    for i in range(reps):
        t=time.time()
        p=subprocess.run([exe],input='1\n',capture_output=True,text=True,env=dict(os.environ,TASKBENCH_CELL=cell))
        walls.append(time.time()-t)
        line=[l for l in p.stdout.splitlines() if l.startswith('taskbench-cell ')]
        if not line: print('FAIL',cell,p.stdout[-300:],p.stderr[-300:]); sys.exit(1)
        vals.append(float(line[0].split()[1]))
    out[cell]={'values':vals,'walls':walls}
    print(cell, 'median ns/task %.1f'%(sorted(vals)[len(vals)//2]/int(cell.split('/')[-1])), 'wall/process %.3f s'%(sum(walls)/len(walls)), flush=True)
json.dump(out,open('values-%d.json'%int(time.time()),'w'))
