# Each process: iterations 1..K (no warm-up), value per iteration; P processes per model, interleaved.
import subprocess,sys,time,os,random,statistics as st,json
binp,group,n,K,P=sys.argv[1],sys.argv[2],int(sys.argv[3]),int(sys.argv[4]),int(sys.argv[5])
models=sys.argv[6].split(',')
res={m:[] for m in models}
for r in range(P):
    random.shuffle(models)
    for m in models:
        env=dict(os.environ,TASKBENCH_CELL=f'{group}/{m}/{n}')
        p=subprocess.Popen([binp,'--bench'],env=env,stdin=subprocess.PIPE,stdout=subprocess.PIPE,text=True)
        vals=[]
        for i in range(K):
            p.stdin.write('1\n');p.stdin.flush()
            line=p.stdout.readline().split()
            vals.append(float(line[1])/n)
        p.stdin.close();p.wait()
        res[m].append(vals)
json.dump(res,open(f'/tmp/iters-{group}-{n}.json','w'))
for m in sorted(res):
    cols=list(zip(*res[m]))
    print(f'{m:16}',' '.join('%7.1f'%st.median(c) for c in cols))
