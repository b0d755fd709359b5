"""The one comparison every torch-parity test makes: the same function in groundup and in
PyTorch, on the same inputs and the same random upstream gradient; outputs and input gradients
must agree to :data:`TOL` (float64 relative 1e-10, absolute 1e-12 for values that cancel to ~0;
float32 relative 1e-5, absolute 1e-5). Imported only by tests that need torch."""

import numpy as np
import torch

import groundup

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


def check(fn_gu, fn_torch, arrays, dtype, seed=0, grad_of=None):
    """Compare outputs and the gradients of the inputs listed in ``grad_of`` (default: all),
    their shapes and dtypes included."""
    grad_of = range(len(arrays)) if grad_of is None else grad_of
    gu = [groundup.tensor(a, dtype=dtype, requires_grad=i in grad_of)
          for i, a in enumerate(arrays)]
    tt = [torch.tensor(a, dtype=TORCH_DTYPE[dtype], requires_grad=i in grad_of)
          for i, a in enumerate(arrays)]
    out_gu, out_t = fn_gu(*gu), fn_torch(*tt)
    assert out_gu.shape == tuple(out_t.shape) and out_gu.dtype == dtype
    np.testing.assert_allclose(out_gu.data, out_t.detach().numpy(), **TOL[dtype])
    g = np.random.default_rng(seed + 1).standard_normal(out_gu.shape).astype(dtype)
    out_gu.backward(g)
    out_t.backward(torch.tensor(g))
    for i in grad_of:
        assert gu[i].grad.shape == np.shape(arrays[i]) and gu[i].grad.dtype == dtype
        np.testing.assert_allclose(gu[i].grad, tt[i].grad.numpy(), **TOL[dtype])
