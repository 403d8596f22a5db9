"""What the label table costs a labeller: a store the size of CamVid at the paper's 100 labelled pixels per image
(367 images, 36,700 labels), and the calls a key press makes of it.

Medians of `--repeats`, in one process:

- `table, rebuilt`: `LabelStore.table()` worked out from the records (what every call did before the table was kept);
- `table, kept`: a second call with nothing new in the file (the kept table, as now);
- `key press`: one `add` (with its fsync) followed by `table()` and two `query()` calls, with the table kept (`now`)
  and rebuilt at every call (`before`). A model of a key of the streamed labeller, whose `poll` reads the table
  several times per answer (what remains of the round, whether K answers are in, what is pending); the plain
  labeller keeps its own set of pending pixels and reads the table only at the end of a round.

    python benchmarks/label_table.py                # results in benchmarks/results/label-table.json

Measure on a quiet machine: the script prints the load average before and after."""
import argparse, json, os, statistics, sys, tempfile, time, timeit
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def med(f, n): return statistics.median(timeit.repeat(f, number=1, repeat=n))   # seconds, median of n single calls


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--labels', type=int, default=36_700)
    ap.add_argument('--repeats', type=int, default=15)
    ap.add_argument('--out', default=str(ROOT/'benchmarks'/'results'/'label-table.json'))
    args = ap.parse_args()
    from pixelpick.labels import LabelStore
    load0 = os.getloadavg()
    d = Path(tempfile.mkdtemp())
    st = LabelStore(d/'labels.jsonl', [f'img{k}' for k in range(367)], [f'c{k}' for k in range(11)], 'camvid-like')
    rng = np.random.default_rng(0); n = args.labels
    st.add(rng.integers(0, 367, n), rng.integers(0, 360, n), rng.integers(0, 480, n), rng.integers(0, 11, n), round=0, source='simulated')
    def forget(): st._memo = {}                          # as before: nothing kept between calls
    def rebuilt(): forget(); st.table()
    def key(before):
        st.add(int(rng.integers(367)), int(rng.integers(360)), int(rng.integers(480)), int(rng.integers(11)), round=1, source='human', seconds=1.4)
        for f in (st.table, lambda: st.query(round=1), lambda: st.query(round=1, source='human')):
            if before: forget()
            f()
    st.table()
    res = {'labels': n, 'repeats': args.repeats,
           'table_rebuilt_ms': med(rebuilt, args.repeats)*1e3, 'table_kept_ms': med(st.table, args.repeats)*1e3,
           'key_before_ms': med(lambda: key(True), args.repeats)*1e3, 'key_now_ms': med(lambda: key(False), args.repeats)*1e3}
    res = {k: round(v, 2) if isinstance(v, float) else v for k, v in res.items()}
    res.update(load_before=[round(x, 2) for x in load0], load_after=[round(x, 2) for x in os.getloadavg()],
               machine=f'{os.uname().machine}, {os.cpu_count()} cores', date=time.strftime('%Y-%m-%d'))
    for k, v in res.items(): print(f'{k:>18}: {v}')
    Path(args.out).write_text(json.dumps(res, indent=1) + '\n')


if __name__ == '__main__': main()
