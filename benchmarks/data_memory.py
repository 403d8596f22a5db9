"""Load time and memory of a decoded dataset: CamVid train at several scales, each in a fresh process.

    python benchmarks/data_memory.py --root ../shared/data/camvid --scales 1.0 0.5

Reports wall seconds to decode the split, bytes held by the cache, and the process's peak RSS above the
interpreter-plus-imports baseline (median over --reps fresh processes).
"""
import argparse, json, subprocess, sys, statistics

CHILD = r'''
import json, resource, sys, time
from pixelpick.datasets import camvid
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter(); ds = camvid(sys.argv[1], sys.argv[2], float(sys.argv[3])).load_all(); secs = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({'images': len(ds), 'seconds': secs, 'cache_mb': ds.nbytes/2**20, 'peak_rss_mb': peak/1024, 'rss_above_imports_mb': (peak - base)/1024,
                  'shape': list(ds[0][0].shape)}))
'''

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', required=True); p.add_argument('--split', default='train')
    p.add_argument('--scales', nargs='+', type=float, default=[1.0, 0.5]); p.add_argument('--reps', type=int, default=3)
    a = p.parse_args()
    res = {}
    for s in a.scales:
        runs = [json.loads(subprocess.run([sys.executable, '-c', CHILD, a.root, a.split, str(s)], capture_output=True, text=True, check=True).stdout) for _ in range(a.reps)]
        res[s] = {k: statistics.median(r[k] for r in runs) if isinstance(runs[0][k], float) else runs[0][k] for k in runs[0]}
        print(f"CamVid {a.split} scale {s}: {res[s]['images']} images {res[s]['shape']}, decode {res[s]['seconds']:.1f} s, cache {res[s]['cache_mb']:.0f} MB, "
              f"peak RSS {res[s]['peak_rss_mb']:.0f} MB ({res[s]['rss_above_imports_mb']:.0f} MB above imports)  [median of {a.reps}]")
    print(json.dumps(res))

if __name__ == '__main__': main()
