"""Reading MDGPLIB instances: the real files, and each malformed line named by number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graph.errors import FormatError
from graph.mdgp.mdgplib import read_instance, reference_optima
from tests.graph.mdgplib_files import instance_path, require_mdgplib

GOOD = "4 2 ds 1 3 2 2\n0 1 1.5\n0 2 2\n0 3 3\n1 2 4\n1 3 5\n2 3 6.25\n"


def test_reads_text_and_fills_both_triangles() -> None:
    instance = read_instance(GOOD)
    assert instance.n == 4
    assert instance.bounds == [(1, 3), (2, 2)]
    assert instance.weights[3, 2] == instance.weights[2, 3] == 6.25
    assert np.all(np.diag(instance.weights) == 0)
    assert instance.name == "instance"


def test_reads_a_path_and_names_it_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny_ds_01.txt"
    path.write_text(GOOD)
    assert read_instance(path).name == "tiny_ds_01"
    assert read_instance(str(path)).weights[0, 1] == 1.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: expected '<n> <G> <ss|ds>"),
        ("4 2 xx 1 3 2 2\n", "line 1: expected '<n> <G> <ss|ds>"),
        ("4 two ds 1 3 2 2\n", "line 1: expected '<n> <G>"),
        ("4 2 ds 1 3 2\n", "line 1: expected n ≥ 1, G ≥ 1 and 2·G = 4 size bounds"),
        ("4 2 ds 3 1 2 2\n", "line 1: group 1 has bounds 3 1"),
        ("4 2 ss 1 1 1 1\n", "line 1: the size bounds cannot cover n = 4"),
        ("4 2 ds 1 3 2 2\n0 1 1\n0 2\n", "line 3: expected 'i j d_ij', got '0 2'"),
        ("4 2 ds 1 3 2 2\n0 1 1\n\n0 x 2\n", "line 4: expected 'i j d_ij', got '0 x 2'"),
        ("4 2 ds 1 3 2 2\n0 1 one\n", "line 2: expected a number for d_ij, got 'one'"),
        ("4 2 ds 1 3 2 2\n0 4 1\n", "line 2: expected distinct items in 0..3"),
        ("4 2 ds 1 3 2 2\n2 2 1\n", "line 2: expected distinct items"),
        ("4 2 ds 1 3 2 2\n0 1 nan\n", "line 2: expected distinct items in 0..3 and a finite"),
    ],
)
def test_malformed_files_name_the_line(text: str, message: str) -> None:
    with pytest.raises(FormatError, match=message.replace("|", r"\|").replace(".", r"\.")):
        read_instance(text + "\n" if "\n" not in text else text)


def test_reference_table_has_all_120_optima() -> None:
    root = require_mdgplib()
    optima = reference_optima((root / "REFERENCE.md").read_text())
    assert len(optima) == 120
    assert optima["RanReal_n010_ss_01"] == 1427.845
    assert optima["Geo_n012_ds_10"] == 984.986
    for name in optima:
        assert instance_path(root, name).is_file(), name


def test_reads_a_real_instance() -> None:
    instance = read_instance(instance_path(require_mdgplib(), "RanInt_n120_ds_01"))
    assert instance.n == 120 and len(instance.bounds) == 10
    assert instance.bounds[0] == (9, 14)
    assert np.allclose(instance.weights, instance.weights.T)
    assert np.count_nonzero(np.triu(instance.weights, 1)) > 0.9 * 120 * 119 / 2


def test_reference_without_table_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="no table"):
        reference_optima("# nothing here\n")
