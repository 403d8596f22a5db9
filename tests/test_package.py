"Plain unit tests of the installed package and its command line (the notebooks hold the rest)."
import json, subprocess, sys
from pathlib import Path
import numpy as np
import pytest

def test_cli_help_lists_every_config_option():
    from dataclasses import fields
    from pixelpick.loop import Config
    exe = Path(sys.executable).parent/'pixelpick'            # the console script that `pip install` creates
    out = subprocess.run([str(exe), 'run', '--help'], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for f in fields(Config):
        if f.name != 'data_kw': assert '--' + f.name.replace('_', '-') in out.stdout      # data_kw is for Python callers

def test_cli_rejects_unknown_strategy(tmp_path, capsys):
    from pixelpick.cli import main
    with pytest.raises(SystemExit) as e: main(['run', '--out', str(tmp_path/'r'), '--strategy', 'bayes', '--epochs', '1'])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.startswith('pixelpick: error: ') and "unknown strategy 'bayes'" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path/'r').exists()           # one line, nothing left behind

def test_cli_error_is_one_line_and_exit_2(tmp_path):
    exe = Path(sys.executable).parent/'pixelpick'
    out = subprocess.run([str(exe), 'run', '--out', str(tmp_path/'r'), '--epochs', '0', '--lr', 'nan'], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.startswith('pixelpick: error: invalid settings: ') and 'Traceback' not in out.stderr, out.stderr
    assert 'epochs=0' in out.stderr and 'lr=nan' in out.stderr and len(out.stderr.strip().splitlines()) == 1
    out = subprocess.run([str(exe), 'run', '--out', str(tmp_path/'r'), '--epochs', '0', '--debug'], capture_output=True, text=True)
    assert out.returncode == 1 and 'Traceback' in out.stderr

def test_runtime_imports_do_not_need_dev_tools():
    code = "import sys; import pixelpick.cli, pixelpick.loop, pixelpick.data; bad=[m for m in ('nbdev','execnb') if m in sys.modules]; print(bad); sys.exit(len(bad))"
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert out.returncode == 0, f'runtime imports pulled in dev tools: {out.stdout} {out.stderr}'

def test_version():
    import pixelpick
    assert pixelpick.__version__.count('.') == 2
