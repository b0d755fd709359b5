"""One BLAS thread and one torch thread: the setting of the engine-against-engine benchmarks,
so each engine's time is one core's work and the ratios compare like with like."""

from __future__ import annotations


def one_thread_each():
    """Limit BLAS (threadpoolctl) and torch to one thread each; return the torch module, or
    None, after saying so, when torch is not installed (nothing to compare against)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    try:
        import torch
    except ImportError:
        print("torch is not installed: nothing to compare against")
        return None
    torch.set_num_threads(1)
    return torch
