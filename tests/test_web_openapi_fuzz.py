"""schemathesis fuzzes every operation of `/openapi.json` on a real `stkg serve`: no 5xx.

The server runs on loopback as in production (waitress, query workers, the time limit);
schemathesis reads the description the server itself publishes, so every route is fuzzed
(none is excluded): its examples (real IRIs, framework slugs, query names), the coverage
phase (boundary and wrong-type values for each parameter), random inputs, and stateful
sequences along the links it infers. The number of examples per operation and the seed are
fixed, so a run is the same every time; with one worker it takes about half a minute. Only
`not_a_server_error` is checked: the description does not give response schemas. On
failure the message holds schemathesis's report, with a curl command per failing request.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import stkg
from servers import running_server

EXAMPLES = 25  # per operation and phase
SEED = 1


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_on_any_operation(tmp_path):
    # the server runs in tmp_path: make it import the same stkg as this test, even when
    # PYTHONPATH was given relative to the checkout
    code = str(Path(stkg.__file__).resolve().parents[1])
    with running_server(tmp_path, env={"PYTHONPATH": code}) as server:
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{server.base}/openapi.json",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                str(EXAMPLES),
                "--seed",
                str(SEED),
                # one worker: concurrent workers crash inside hypothesis's lambda
                # descriptions on CPython 3.11 ("AST constructor recursion depth mismatch")
                "--workers",
                "1",
                "--generation-database",
                "none",
                "--request-timeout",
                "30",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=400,
            cwd=tmp_path,
        )
    report = run.stdout[-20_000:] + run.stderr[-5_000:]
    assert run.returncode == 0, report
    selected = re.search(r"Selected: (\d+)/(\d+)", report)
    tested = re.search(r"Tested: (\d+)", report)
    assert selected and tested, report
    assert selected[1] == selected[2] == tested[1], "every operation is fuzzed:\n" + report
