"""`python -m bench.inventory` runs end to end on a tiny portfolio. Only the structure of its
table is checked: benchmarks report times, tests never assert them."""

from __future__ import annotations

import pytest

inventory = pytest.importorskip("bench.inventory", reason="bench/ is in the source checkout only")


def first_row(capsys) -> list[str]:
    """The cells of the table's first row of numbers."""
    table = capsys.readouterr().out.strip().splitlines()
    return [c.strip() for c in table[2].strip("|").split("|")]


@pytest.mark.slow
def test_the_inventory_bench_reports_each_import_with_its_time_and_memory(capsys):
    inventory.main(["--systems", "20"])
    table = capsys.readouterr().out.strip().splitlines()
    assert table[0].startswith("| systems | rows | triples | read, check, build |")
    assert len(table) == 3
    cells = [c.strip() for c in table[2].strip("|").split("|")]
    assert cells[0] == "20" and len(cells) == 12
    assert all(c.endswith((" s", " GiB")) for c in cells[3:])


@pytest.mark.slow
def test_the_inventory_bench_can_run_the_store_imports_alone(capsys):
    inventory.main(["--systems", "20", "--store-only"])
    cells = first_row(capsys)
    assert cells[0] == "20" and len(cells) == 12
    assert cells[2:8] == ["-"] * 6
    assert all(c.endswith((" s", " GiB")) for c in cells[8:])


@pytest.mark.slow
def test_the_inventory_bench_can_run_the_in_memory_import_alone(capsys):
    inventory.main(["--systems", "20", "--memory-only"])
    cells = first_row(capsys)
    assert cells[0] == "20" and len(cells) == 12
    assert all(c.endswith((" s", " GiB")) for c in cells[3:8])
    assert cells[8:] == ["-"] * 4
