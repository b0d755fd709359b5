"""Recipes: each documented, each reproducing its primer figure, each running on every engine."""

import numpy as np
import pytest

from groundup import recipes
from groundup.engines.base import make_engine
from groundup.runs import build_config, load_data, model_spec
from groundup.train import Trainer

SMALL = ["blobs-logreg", "xor-mlp", "cancer-logistic", "cancer-mlp", "penguins-softmax",
         "penguins-mlp", "digits-cnn"]  # fmt: skip
# test-accuracy floors for the full recipe (what each recipe's `expect` promises, less a margin)
FLOORS = {"blobs-logreg": 0.95, "xor-mlp": 0.88, "cancer-logistic": 0.95, "cancer-mlp": 0.95,
          "penguins-softmax": 0.95, "penguins-mlp": 0.95, "digits-cnn": 0.96}  # fmt: skip


def test_every_recipe_is_named_and_documented():
    assert set(recipes.RECIPES) == {"mnist-sgd", "mnist-adam", "cat-logreg", "blobs-logreg",
                                    "xor-mlp", "cancer-logistic", "cancer-mlp",
                                    "penguins-softmax", "penguins-mlp", "mnist-cnn",
                                    "digits-cnn"}  # fmt: skip
    for name, r in recipes.RECIPES.items():
        assert r.summary and r.expect, name
        assert f"``{name}``" in recipes.__doc__  # the module's table lists it
    sgd = recipes.get_recipe("mnist-sgd")
    assert (sgd.hidden, sgd.optimizer, sgd.lr, sgd.batch_size, sgd.epochs) == ((128,), "sgd",
                                                                                0.01, 64, 5)
    assert recipes.get_recipe("cancer-mlp").hidden == (64, 32)
    assert recipes.get_recipe("mnist-adam").optimizer == "adam"


def run_recipe(name, engine, epochs=None):
    config = build_config(recipe=name, engine=engine, epochs=epochs)
    prep = load_data(config)
    spec = model_spec(config, prep)
    eng = make_engine(engine, spec, spec.init_state(config.seed), config.optimizer)
    history = Trainer(eng, prep.X_train, prep.y_train, prep.X_test, prep.y_test,
                      epochs=config.epochs, batch_size=config.batch_size, seed=config.seed,
                      log=None).fit()  # fmt: skip
    return eng, history


@pytest.mark.parametrize("name", SMALL)
def test_recipe_reaches_its_floor(name):
    _, history = run_recipe(name, "autograd")
    assert history.last["test_acc"] >= FLOORS[name]


@pytest.mark.parametrize("name", SMALL)
def test_recipe_runs_the_same_on_scratch_and_autograd(name):
    # The cnn's two engines sum the convolutions' products in different orders: 2e-7 apart
    # after 5 epochs (225 Adam steps), but max pooling and ReLU can turn such a float32
    # difference into a different winner later on, after which the runs drift apart (1e-3 by
    # epoch 20). The MLPs stay within 1e-6 for their 20 epochs.
    epochs = 5 if name == "digits-cnn" else 20
    a, ha = run_recipe(name, "scratch", epochs=epochs)
    b, hb = run_recipe(name, "autograd", epochs=epochs)
    sa, sb = a.state_dict(), b.state_dict()
    for k in sa:
        np.testing.assert_allclose(sa[k], sb[k], rtol=1e-5, atol=1e-6)
    assert ha.last["test_acc"] == hb.last["test_acc"]
