"""Every small recipe on the torch engine agrees with the NumPy engines."""

import numpy as np
import pytest

pytest.importorskip("torch")

from test_recipes import SMALL, run_recipe  # noqa: E402

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("name", SMALL)
def test_recipe_on_torch_matches_autograd(name):
    # digits-cnn: 5 epochs, as in test_recipes (float32 rounding through max pooling's ties and
    # Adam's small-gradient steps drifts the engines apart after that, as it does between scratch
    # and autograd)
    epochs = 5 if name == "digits-cnn" else 20
    a, ha = run_recipe(name, "autograd", epochs=epochs)
    t, ht = run_recipe(name, "torch", epochs=epochs)
    sa, st = a.state_dict(), t.state_dict()
    for k in sa:
        np.testing.assert_allclose(sa[k], st[k], rtol=1e-5, atol=1e-6)
    assert ha.last["test_acc"] == ht.last["test_acc"]
