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

def test_cli_rejects_unknown_strategy(tmp_path):
    from pixelpick.cli import main
    with pytest.raises(ValueError, match="unknown strategy 'bald'"):
        main(['run', '--out', str(tmp_path/'r'), '--strategy', 'bald', '--epochs', '1'])

def test_runtime_imports_do_not_need_dev_tools():
    code = "import sys; import pixelpick.cli, pixelpick.loop, pixelpick.data; bad=[m for m in ('nbdev','execnb','fastcore') if m in sys.modules]; print(bad); sys.exit(len(bad))"
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert out.returncode == 0, f'runtime imports pulled in dev tools: {out.stdout} {out.stderr}'

def test_version():
    import pixelpick
    assert pixelpick.__version__.count('.') == 2
