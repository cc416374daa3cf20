"""Small notebooks through `execute_and_check` in the sandbox, for the sandbox's tests (hongong/grading/execute.py).

``run`` hands it cells (code as text, or nbformat cells) with the sandbox's options and returns its answer, with each
cell's outputs as text when the notebook ran; ``sandboxed_processes`` are the processes still running as a uid of
the sandboxes' pool.
"""

import json

import nbformat
import psutil
from nbformat.v4 import new_code_cell, new_notebook

from hongong.grading import sandbox
from hongong.grading.execute import execute_and_check

OPTIONS = {"timeout": 20, "interrupt_on_timeout": True, "notebook_timeout": 90, "max_cell_output_bytes": 1_000_000,
           "max_notebook_output_bytes": 5_000_000, "sandbox": True, "memory_bytes": 1 * 2**30,
           "max_processes": 128, "tmp_bytes": 64 * 2**20, "max_answer_bytes": 2**20, "checker_timeout": 60}


KERNELSPEC = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def run(*cells, **options):
    """Cells (code as text, or nbformat cells) through `execute_and_check`; with each cell's outputs as text when ok."""
    notebook = new_notebook(cells=[new_code_cell(c) if isinstance(c, str) else c for c in cells], metadata=KERNELSPEC)
    answer = execute_and_check(nbformat.writes(notebook), OPTIONS | options)
    if answer["status"] == "ok":
        executed = nbformat.reads(answer["notebook"], as_version=4)
        answer["outputs"] = [
            "".join(o.get("text", "") or f"{o.get('ename', '')}: {o.get('evalue', '')}" or json.dumps(o.get("data", {}))
                    for o in cell.get("outputs", [])) for cell in executed.cells]
    return answer


def sandboxed_processes():
    return [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real in sandbox.SANDBOX_UIDS]
