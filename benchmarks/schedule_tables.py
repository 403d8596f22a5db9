"""The tables of BENCHMARKS.md's paragraph *Smaller rounds* (issue 39), from the committed raw results; trains nothing.

    python benchmarks/schedule_tables.py

Reads `results/fullres-sched-camvid-1.0.json` (`benchmarks/context.py --learners fullres --scale 1.0 --init-pixels 5
--pixels-per-round 5 --tta`: 5 random px/img, then 5 a round) and `results/tta-camvid-1.0.json` (the same learner with
rounds of 10 px/img, evaluated with the mirror). Prints, as markdown: mIoU per strategy and budget (halves A / B and
all of val, mean ± s.d. over seeds), the split-half selection with the gain over random per seed, IoU per class at 30
px/img, and the gains against random pooled over both schedules (random's pixels follow the same law under either, so
the pool is the better estimate of random; the chosen strategies are compared with it for both schedules).
"""
import json
from pathlib import Path
import numpy as np
from context import table

RES = Path(__file__).parent/'results'
CLASSES = ['sky', 'bldg', 'pole', 'road', 'pave', 'tree', 'sign', 'fence', 'car', 'ped', 'bike']

def main():
    res = json.loads((RES/'fullres-sched-camvid-1.0.json').read_text()); R, S = res['runs'], ['random', 'margin', 'entropy']
    seeds = sorted(int(k.split('|s')[-1]) for k in R if k.startswith('fullres|random|'))
    seeds = [sd for sd in seeds if all('30' in R.get(f'fullres|{s}|s{sd}', {}) for s in S)]
    sel = {h: v['strategy'] for h, v in table(res, ['fullres'], S, seeds)['fullres']['select'].items()}
    g = lambda s, px, h, sds=seeds: np.array([R[f'fullres|{s}|s{sd}'][px][h] for sd in sds])
    ms = lambda a: f'{a.mean():.2f} ± {a.std():.2f}'
    print(f'{len(seeds)} seeds ({seeds[0]}-{seeds[-1]}), mIoU with the mirror\n')
    print('| strategy | 5 px/img | 10 px/img | 20 px/img: A / B / all | 30 px/img: A / B / all |\n|---|---|---|---|---|')
    for s in S:
        print(f"| {s} | {ms(g(s, '5', 'all'))} | {ms(g(s, '10', 'all'))} | " + ' | '.join(
            f"{g(s, px, 'A').mean():.1f} / {g(s, px, 'B').mean():.1f} / {ms(g(s, px, 'all'))}" for px in ('20', '30')) + ' |')
    print('\n| reported on | chosen on the other half | 20 px/img | − random (per seed) | 30 px/img | − random (per seed) |\n|---|---|---|---|---|---|')
    for h in 'AB':
        d = {px: g(sel[h], px, h) - g('random', px, h) for px in ('20', '30')}
        print(f'| {h} | {sel[h]} | ' + ' | '.join(f"{ms(g(sel[h], px, h))} | {d[px].mean():+.2f} ± {d[px].std():.2f} ({', '.join(f'{x:+.1f}' for x in d[px])})"
                                                  for px in ('20', '30')) + ' |')
    print(f'\n| strategy | {" | ".join(CLASSES)} |\n|{"---|" * (len(CLASSES) + 1)}')
    for s in S:
        print(f'| {s} | ' + ' | '.join(f'{v:.1f}' for v in np.mean([R[f"fullres|{s}|s{sd}"]["30"]["iou_per_class"] for sd in seeds], 0)) + ' |')
    T = json.loads((RES/'tta-camvid-1.0.json').read_text()); old = T['meta']['seeds']
    go = lambda s, px, h: np.array([T['tta']['runs'][f'fullres|{s}|s{sd}'][px][h] for sd in old])
    sel_old = {h: v['strategy'] for h, v in table(T['tta'], ['fullres'], ['random', 'margin', 'margin_interior', 'entropy'], old)['fullres']['select'].items()}
    print(f'\nAgainst random pooled over both schedules ({len(old) + len(seeds)} runs a budget); rounds of 10: seeds {old}, chosen {sel_old}')
    for h in 'AB':
        for px in ('20', '30'):
            pool = np.concatenate([go('random', px, h), g('random', px, h)]).mean()
            print(f'  half {h}, {px} px/img: random pooled {pool:.2f}; 5 a round, {sel[h]}: {g(sel[h], px, h).mean() - pool:+.2f}; '
                  f'10 a round, {sel_old[h]}: {go(sel_old[h], px, h).mean() - pool:+.2f}')
    for s in S:
        print(f'  {s}, the same seeds {old}: ' + ', '.join(f"{px} px/img {go(s, px, 'all').mean():.2f} (10 a round) -> "
              f"{g(s, px, 'all', old).mean():.2f} (5 a round)" for px in ('20', '30')))

if __name__ == '__main__': main()
