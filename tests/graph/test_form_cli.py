"""``python -m graph.form``: JSON on stdout, progress on stderr, readable errors."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from graph.mdgp.mdgplib import read_instance, reference_optima
from tests.graph.mdgplib_files import instance_path, require_mdgplib

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "graph.form", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=False)


def test_mdgp_prints_the_optimal_grouping_as_json() -> None:
    root = require_mdgplib()
    path = instance_path(root, "Geo_n012_ds_01")
    result = run("mdgp", str(path), "--time-limit", "60", "--seed", "7")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"groups", "objective", "seconds"}
    instance = read_instance(path)
    assert sorted(itertools.chain.from_iterable(answer["groups"])) == list(range(12))
    for group, (lo, hi) in zip(answer["groups"], instance.bounds, strict=True):
        assert lo <= len(group) <= hi
    optimum = reference_optima((root / "REFERENCE.md").read_text())["Geo_n012_ds_01"]
    assert answer["objective"] == pytest.approx(optimum, abs=1e-6)
    assert 0 <= answer["seconds"] < 60
    assert "100%" in result.stderr


def test_mdgp_same_seed_same_answer(tmp_path: Path) -> None:
    path = tmp_path / "tiny.txt"
    path.write_text("6 2 ss 3 3 3 3\n" + "".join(
        f"{i} {j} {(i * 7 + j * 3) % 5}\n" for i, j in itertools.combinations(range(6), 2)))
    first, second = (json.loads(run("mdgp", str(path), "--seed", "4", "--time-limit", "60").stdout)
                     for _ in range(2))
    assert first["groups"] == second["groups"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("4 2 ss 2 2 2 2\n0 1 1\n0 2\n", "error: line 3: expected 'i j d_ij', got '0 2'"),
        ("four 2 ss 2 2 2 2\n", "error: line 1: expected '<n> <G> <ss|ds>"),
    ],
)
def test_mdgp_malformed_file_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    result = run("mdgp", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_mdgp_missing_file_is_reported() -> None:
    result = run("mdgp", "/nonexistent/instance.txt")
    assert result.returncode == 2
    assert "No such file" in result.stderr


def test_golfers_prints_a_repeat_free_kirkman_schedule() -> None:
    pytest.importorskip("graph.rounds", reason="graph.rounds (social golfer) not present yet")
    result = run("golfers", "--groups", "5", "--size", "3", "--rounds", "7",
                 "--time-limit", "60", "--seed", "1")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"rounds", "repeated_pairs", "seconds"}
    assert answer["repeated_pairs"] == 0
    assert len(answer["rounds"]) == 7
    pairs = set()
    for groups in answer["rounds"]:
        assert sorted(itertools.chain.from_iterable(groups)) == list(range(15))
        assert all(len(group) == 3 for group in groups)
        for group in groups:
            for pair in itertools.combinations(sorted(group), 2):
                assert pair not in pairs
                pairs.add(pair)


def test_usage_errors_exit_with_status_2() -> None:
    result = run("golfers", "--groups", "5")
    assert result.returncode == 2
    assert "required" in result.stderr
