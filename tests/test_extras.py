"""The optional extras hold what they say: with submitit absent (no ``[slurm]``) local runs still import, and with
torch absent (no ``[engine]``) a computing command says in one line which extra to install."""
from __future__ import annotations

import subprocess
import sys

BLOCK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in {blocked!r}):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Block())
"""


def _run(blocked, code):
    return subprocess.run([sys.executable, "-c", BLOCK.format(blocked=blocked) + code], capture_output=True, text=True)


def test_local_runs_need_no_submitit():
    proc = _run(("submitit",), "import generator.runner.executors as e, generator.runner.orchestrate; print('ok')")
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_a_missing_engine_names_its_extra(tmp_path):
    code = f"from generator.cli import main; main(['run', '--dry-run', '--out', {str(tmp_path / 'r')!r}])"
    proc = _run(("torch", "torchvision", "open_clip"), code)
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert "pip install 'mkbench[engine]'" in last and "Traceback" not in proc.stderr
