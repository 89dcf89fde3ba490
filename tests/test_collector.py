"""`collector.paused` pauses the cycle collector for a step and puts it back as it was."""

import gc

import pytest

from stkg import collector


def test_the_collector_is_paused_inside_and_restored_after_also_on_error():
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_already_off_stays_off():
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
