"""What a new `pixelpick` process pays before it does anything: every CLI command, every test subprocess, every
`accelerate launch` worker and every notebook kernel that imports the library starts with this.

Times, medians of `--repeats` fresh processes, taken in turns so that a change of load hits every row alike:

- `import pixelpick.cli`: what the command line imports (the package, the loop, the configuration);
- `pixelpick --help`: the console script end to end;
- `eager (before)`: `import segmentation_models_pytorch, torchvision.transforms.v2.functional` and then
  `import pixelpick.cli`: what the CLI imported before smp and torchvision were deferred to where a model is built or
  an image augmented (smp pulls in timm and torchvision, and torchvision pulls in `torch._dynamo`);
- `import torch`: the floor no PyTorch program goes below.

    python benchmarks/startup.py                  # results in benchmarks/results/startup.json

Measure on a quiet machine: the script prints the load average before and after."""
import argparse, json, os, statistics, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
CASES = {'import pixelpick.cli': [PY, '-c', 'import pixelpick.cli'],
         'pixelpick --help': [PY, '-m', 'pixelpick', '--help'],
         'eager (before)': [PY, '-c', 'import segmentation_models_pytorch, torchvision.transforms.v2.functional; import pixelpick.cli'],
         'import torch': [PY, '-c', 'import torch']}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--repeats', type=int, default=7)
    ap.add_argument('--out', default=str(ROOT/'benchmarks'/'results'/'startup.json'))
    args = ap.parse_args()
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'PIXELPICK_NO_BAR': '1'}
    env.pop('PYTHONDONTWRITEBYTECODE', None)
    for cmd in CASES.values(): subprocess.run(cmd, env=env, capture_output=True, check=True)    # warm-up: bytecode caches, page cache
    load0 = os.getloadavg()
    ts = {k: [] for k in CASES}
    for _ in range(args.repeats):
        for k, cmd in CASES.items():
            t0 = time.perf_counter(); subprocess.run(cmd, env=env, capture_output=True, check=True); ts[k].append(time.perf_counter() - t0)
    load1 = os.getloadavg()
    leaked = subprocess.run([PY, '-c', 'import sys, pixelpick.cli; print(sorted(m for m in ("segmentation_models_pytorch", "timm", "torchvision") if m in sys.modules))'],
                            env=env, capture_output=True, text=True, check=True).stdout.strip()
    res = {'median_s': {k: round(statistics.median(v), 3) for k, v in ts.items()}, 'repeats': args.repeats,
           'cli_imports_of_smp_timm_torchvision': leaked, 'load_before': [round(x, 2) for x in load0], 'load_after': [round(x, 2) for x in load1],
           'machine': f'{os.uname().machine}, {os.cpu_count()} cores', 'date': time.strftime('%Y-%m-%d')}
    m = res['median_s']
    res['eager_over_now'] = round(m['eager (before)']/m['import pixelpick.cli'], 2)
    for k, v in m.items(): print(f'{k:>22}: {v:.2f} s')
    print(f"eager / now: {res['eager_over_now']}x; smp, timm, torchvision imported by the CLI: {leaked}; load {load0[0]:.2f} -> {load1[0]:.2f}")
    Path(args.out).write_text(json.dumps(res, indent=1) + '\n')


if __name__ == '__main__': main()
