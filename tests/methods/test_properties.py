"""Property tests: weights are non-negative and sum to 1, consistent matrices have CR = 0, permuting
criteria permutes weights, and largest-remainder points always add up to the total."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from govassess.methods import ahp, objective
from govassess.methods.apply import largest_remainder
from govassess.methods.tables import DataTable

SAATY = [1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9, 2, 4, 1 / 2, 1 / 4]


@st.composite
def reciprocal(draw, n_min=2, n_max=9):
    n = draw(st.integers(n_min, n_max))
    a = np.ones((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            a[i, j] = draw(st.sampled_from(SAATY))
            a[j, i] = 1 / a[i, j]
    return a


@settings(max_examples=60, deadline=None)
@given(reciprocal(), st.sampled_from(["eigenvector", "geometric"]), st.randoms(use_true_random=False))
def test_ahp_weights_and_permutation(a, weighting, rnd):
    n = a.shape[0]
    r = ahp.analyse(ahp.Judgements([str(i) for i in range(n)], a), weighting=weighting)
    assert np.all(r.weights >= 0) and abs(r.weights.sum() - 1) < 1e-12
    assert r.lambda_max >= n - 1e-9 and r.cr >= 0
    perm = list(range(n))
    rnd.shuffle(perm)
    r2 = ahp.analyse(ahp.Judgements([str(i) for i in perm], a[np.ix_(perm, perm)]), weighting=weighting)
    assert np.allclose(r2.weights, r.weights[perm], atol=1e-9)
    assert abs(r2.cr - r.cr) < 1e-9


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.1, 10), min_size=2, max_size=12))
def test_consistent_matrix_has_cr_zero(w):
    w = np.array(w)
    a = w[:, None] / w[None, :]
    r = ahp.analyse(ahp.Judgements([str(i) for i in range(len(w))], a))
    assert r.cr == 0.0 and r.consistent
    assert np.allclose(r.weights, w / w.sum())


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 30), st.integers(2, 8), st.integers(0, 10_000), st.sampled_from(["entropy", "critic", "cv"]))
def test_objective_weights_sum_to_one(m, k, seed, method):
    x = np.random.default_rng(seed).uniform(0.5, 50, size=(m, k))
    t = DataTable("d", None, [f"U{i}" for i in range(m)], [f"X{j}" for j in range(k)], x)
    w = objective.compute(method, t).weights
    assert np.all(w >= 0) and abs(w.sum() - 1) < 1e-12


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0.001, 1), min_size=1, max_size=40), st.sampled_from([(100, 1), (100, 0.5), (100, 0.1), (20, 1)]))
def test_largest_remainder_is_exact(w, total_step):
    total, step = total_step
    pts = largest_remainder(np.array(w), total, step)
    assert abs(pts.sum() - total) < 1e-9
    units = pts / step
    assert np.allclose(units, np.round(units))
    quota = total * np.array(w) / sum(w)
    assert np.all(np.abs(pts - quota) < step + 1e-9)  # each within one step of its exact share
