"""scikit-learn's own estimator checks, every one, on both estimators (issue 14).

Nothing is skipped: pandas (a dev dependency) feeds the data-frame checks, and the array-API
check runs with ``SCIPY_ARRAY_API=1``.

The instances are small and quick (the checks' data are a few dozen rows); a learning rate of
0.05 lets them reach the accuracy ``check_classifiers_train`` asks for (> 0.83 on blobs).
"""

import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from groundup.sklearn import CNNClassifier, MLPClassifier  # noqa: E402

ESTIMATORS = [
    MLPClassifier((8,), learning_rate_init=0.05, max_iter=30, random_state=0),
    CNNClassifier(channels=(4,), learning_rate_init=0.05, max_iter=30, random_state=0),
]

#: Checks expected to fail, each with its reason.
EXPECTED_FAILURES: dict[str, str] = {
    "check_methods_subset_invariance": (
        "the networks compute in float32, as `groundup train` and PyTorch do; BLAS sums a "
        "float32 product in an order that depends on how many rows it multiplies at once, so "
        "predict_proba on a subset differs from the full batch's by ~2e-7, over the check's "
        "atol of 1e-7 (predictions are equal). Whether it does depends on the weights and the "
        "BLAS kernel: from scikit-learn's Glorot start it passes here (XPASS), so the "
        "expectation is not strict"
    ),
}


def expected_failures(estimator) -> dict[str, str]:
    """The convolution's float32 sums happen to agree on the check's data; the MLP's do not."""
    return EXPECTED_FAILURES if isinstance(estimator, MLPClassifier) else {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_compatible_estimator(estimator, check, monkeypatch):
    # scikit-learn runs its array-API check (NumPy inputs under array_api_dispatch) only with
    # this set; scoped to the test, so the rest of the suite keeps SciPy's default
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)
