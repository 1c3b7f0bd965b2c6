"""The reference's binomial quantile: exact below 1000 trials, its approximations above, bounded loops."""

import math
import statistics

import pytest

from qmk.estimator.quantile import Binomial, QuantileError, normal_inverse, powi


def exact_quantile(n: int, q: float, p: float) -> int:
    """Smallest k with P(X <= k) >= p for X ~ Binomial(n, 1 - q): the pmf summed with exact binomials."""
    total = 0.0
    for k in range(n + 1):
        total += math.exp(math.log(math.comb(n, k)) + k * math.log1p(-q) + (n - k) * math.log(q))
        if total >= p:
            return k
    return n


def test_powi_is_square_and_multiply():
    for a in (0.1, 0.999, 1.0000001, 1.5):
        for b in (0, 1, 2, 3, 7, 64, 999):
            r = 1.0
            x, e = a, b
            while True:  # the same algorithm written independently
                if e % 2:
                    r = r * x
                e //= 2
                if not e:
                    break
                x = x * x
            assert powi(a, b) == r
            assert powi(a, b) == pytest.approx(a**b, rel=1e-12, abs=1e-300)
    assert powi(2.0, -2) == 0.25


@pytest.mark.parametrize("n,q", [(1, 0.3), (15, 0.02), (40, 0.2), (200, 0.05), (999, 0.01), (500, 0.6)])
def test_small_n_is_the_exact_quantile(n, q):
    for p in (0.01 / 3, 0.005, 0.01, 0.5):
        assert Binomial(n, q).inverse(p) == exact_quantile(n, q, p)


def test_normal_inverse_matches_statistics_module():
    nd = statistics.NormalDist()
    for p in (1e-12, 1e-6, 0.0033, 0.01, 0.3, 0.5, 0.77, 0.999, 1 - 1e-9):
        assert normal_inverse(p) == pytest.approx(nd.inv_cdf(p), abs=1e-12)
    assert normal_inverse(0.0) == -math.inf and normal_inverse(1.0) == math.inf


def test_large_n_uses_the_cornish_fisher_approximation_not_the_exact_quantile():
    # n >= 1000 with npq > 80: floored Cornish-Fisher; close to, but not always equal to, the exact value
    b = Binomial(3000, 0.05)
    approx = b.inverse(0.01 / 3)
    exact = exact_quantile(3000, 0.05, 0.01 / 3)
    assert abs(approx - exact) <= 3


def test_newton_regime_is_close_to_exact():
    b = Binomial(1500, 0.02)  # npq = 29.4 <= 80: Newton's method from the mode
    assert abs(b.inverse(0.005) - exact_quantile(1500, 0.02, 0.005)) <= 1


def test_newton_divergence_is_an_error_not_a_hang():
    class Flat(Binomial):
        __slots__ = ()

        def mass(self, x):  # a zero derivative makes every step NaN, where the reference spins forever
            return 0.0

    with pytest.raises(QuantileError):
        Flat(2000, 0.01).inverse(0.01)
