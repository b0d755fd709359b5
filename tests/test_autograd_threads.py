"""Grad mode is per thread, as in PyTorch: one thread's ``no_grad()`` leaves another's graph."""

from __future__ import annotations

import threading

import numpy as np

import groundup
from groundup.autograd import is_grad_enabled, no_grad


def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    inside, recorded = threading.Event(), {}
    release = threading.Event()

    def evaluate():
        with no_grad():
            inside.set()
            release.wait(30)

    worker = threading.Thread(target=evaluate)
    worker.start()
    assert inside.wait(30)
    try:
        w = groundup.tensor(np.ones(3, np.float32), requires_grad=True)
        loss = (w * w).sum()  # recorded here although the other thread is inside no_grad
        recorded["enabled"] = is_grad_enabled()
        loss.backward()
    finally:
        release.set()
        worker.join()
    assert recorded["enabled"] and np.array_equal(w.grad, [2, 2, 2])


def test_a_new_thread_starts_with_recording_on_even_inside_no_grad():
    seen = []
    with no_grad():
        thread = threading.Thread(target=lambda: seen.append(is_grad_enabled()))
        thread.start()
        thread.join()
        assert not is_grad_enabled()
    assert seen == [True] and is_grad_enabled()
