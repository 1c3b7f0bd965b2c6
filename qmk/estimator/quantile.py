"""The binomial quantile exactly as the reference estimator computes it.

The reference sizes each distillation round with ``Binomial::with_failure(n, q).inverse(p)`` from the
Rust crate ``probability`` 0.20.3. That function is *not* the exact quantile for large ``n``: it uses
exact summation below 1000 trials, a floored Cornish-Fisher expansion (Moorhead 2013, with the crate's
``-16.0/1620.0`` operator precedence) when ``n >= 1000`` and ``npq > 80``, and Newton's method from the
mode otherwise. Unit counts such as 1672 (where the exact quantile gives 1677) only come out right when
the same three branches are reproduced, including the order of floating-point operations, which this
module does. Newton's method can diverge in the reference (it then spins forever); here it is bounded
and raises :class:`QuantileError` instead.
"""

from __future__ import annotations

import math

_MAX_NEWTON_STEPS = 10_000
_MAX_SUM_TERMS = 10_000_000


class QuantileError(ArithmeticError):
    """The quantile iteration did not converge (the reference would not terminate)."""


def powi(a: float, b: int) -> float:
    """``f64::powi`` as LLVM lowers it (compiler-rt ``__powidf2``): square-and-multiply."""
    recip = b < 0
    b = abs(b)
    r = 1.0
    while True:
        if b & 1:
            r *= a
        b //= 2
        if b == 0:
            break
        a *= a
    return 1.0 / r if recip else r


def _ln_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def inc_beta(x: float, a: float, b: float) -> float:
    """Regularized incomplete beta I_x(a, b) by Lentz's continued fraction (accurate to ~1e-15)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(a * math.log(x) + b * math.log1p(-x) - _ln_beta(a, b))
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - inc_beta(1.0 - x, b, a)
    tiny = 1e-300
    f = c = 1.0
    d = 0.0
    for i in range(20_000):
        m = i // 2
        if i == 0:
            num = 1.0
        elif i % 2 == 0:
            num = (m * (b - m) * x) / ((a + 2.0 * m - 1.0) * (a + 2.0 * m))
        else:
            num = -((a + m) * (a + b + m) * x) / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))
        d = 1.0 + num * d
        d = tiny if abs(d) < tiny else d
        d = 1.0 / d
        c = 1.0 + num / c
        c = tiny if abs(c) < tiny else c
        cd = c * d
        f *= cd
        if abs(1.0 - cd) < 1e-16:
            return front * (f - 1.0) / a
    return front * (f - 1.0) / a


# AS241 (Wichura 1988), PPND16: the inverse standard normal CDF to about 1e-16.
_A = (3.3871328727963666080e00, 1.3314166789178437745e02, 1.9715909503065514427e03, 1.3731693765509461125e04,
      4.5921953931549871457e04, 6.7265770927008700853e04, 3.3430575583588128105e04, 2.5090809287301226727e03)
_B = (1.0, 4.2313330701600911252e01, 6.8718700749205790830e02, 5.3941960214247511077e03,
      2.1213794301586595867e04, 3.9307895800092710610e04, 2.8729085735721942674e04, 5.2264952788528545610e03)
_C = (1.42343711074968357734e00, 4.63033784615654529590e00, 5.76949722146069140550e00, 3.64784832476320460504e00,
      1.27045825245236838258e00, 2.41780725177450611770e-01, 2.27238449892691845833e-02, 7.74545014278341407640e-04)
_D = (1.0, 2.05319162663775882187e00, 1.67638483018380384940e00, 6.89767334985100004550e-01,
      1.48103976427480074590e-01, 1.51986665636164571966e-02, 5.47593808499534494600e-04, 1.05075007164441684324e-09)
_E = (6.65790464350110377720e00, 5.46378491116411436990e00, 1.78482653991729133580e00, 2.96560571828504891230e-01,
      2.65321895265761230930e-02, 1.24266094738807843860e-03, 2.71155556874348757815e-05, 2.01033439929228813265e-07)
_F = (1.0, 5.99832206555887937690e-01, 1.36929880922735805310e-01, 1.48753612908506148525e-02,
      7.86869131145613259100e-04, 1.84631831751005468180e-05, 1.42151175831644588870e-07, 2.04426310338993978564e-15)


def _poly(c, x: float) -> float:
    return c[0] + x * (c[1] + x * (c[2] + x * (c[3] + x * (c[4] + x * (c[5] + x * (c[6] + x * c[7]))))))


def normal_inverse(p: float) -> float:
    """Inverse standard normal CDF (AS241)."""
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return math.inf
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * _poly(_A, r) / _poly(_B, r)
    r = p if q < 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        val = _poly(_C, r) / _poly(_D, r)
    else:
        r -= 5.0
        val = _poly(_E, r) / _poly(_F, r)
    return -val if q < 0.0 else val


def _cornish_fisher(p: float, np_: float, v: float, u: float) -> float:
    """Moorhead (2013) p. 7, term by term in the crate's order (including ``- 16.0/1620.0``)."""
    w = normal_inverse(u)
    w2 = w * w
    w3 = w2 * w
    w4 = w3 * w
    w5 = w4 * w
    w6 = w5 * w
    sd = math.sqrt(v)
    sd_em1 = 1.0 / sd
    sd_em2 = 1.0 / v
    sd_em3 = sd_em1 * sd_em2
    sd_em4 = sd_em2 * sd_em2
    p2 = p * p
    p3 = p2 * p
    p4 = p2 * p2
    return (
        np_
        + sd * w
        + (p + 1.0) / 3.0
        - (2.0 * p - 1.0) * w2 / 6.0
        + sd_em1 * w3 * (2.0 * p2 - 2.0 * p - 1.0) / 72.0
        - w * (7.0 * p2 - 7.0 * p + 1.0) / 36.0
        + sd_em2 * (2.0 * p - 1.0) * (p + 1.0) * (p - 2.0) * (3.0 * w4 + 7.0 * w2 - 16.0 / 1620.0)
        + sd_em3
        * (
            w5 * (4.0 * p4 - 8.0 * p3 - 48.0 * p2 + 52.0 * p - 23.0) / 17280.0
            + w3 * (256.0 * p4 - 512.0 * p3 - 147.0 * p2 + 403.0 * p - 137.0) / 38880.0
            - w * (433.0 * p4 - 866.0 * p3 - 921.0 * p2 + 1354.0 * p - 671.0) / 38880.0
        )
        + sd_em4
        * (
            w6 * (2.0 * p - 1.0) * (p2 - p + 1.0) * (p2 - p + 19.0) / 34020.0
            + w4 * (2.0 * p - 1.0) * (9.0 * p4 - 18.0 * p3 - 35.0 * p2 + 44.0 * p - 25.0) / 15120.0
            + w2 * (2.0 * p - 1.0) * (923.0 * p4 - 1846.0 * p3 + 5271.0 * p2 - 4348.0 * p + 5189.0) / 408240.0
            - 4.0 * (2.0 * p - 1.0) * (p + 1.0) * (p - 2.0) * (23.0 * p2 - 23.0 * p + 2.0) / 25515.0
        )
    )


_SFE = (0.0, 8.106146679532725822e-02, 4.134069595540929409e-02, 2.767792568499833915e-02,
        2.079067210376509311e-02, 1.664469118982119216e-02, 1.387612882307074800e-02, 1.189670994589177010e-02,
        1.041126526197209650e-02, 9.255462182712732918e-03, 8.330563433362871256e-03, 7.757367548795184079e-03,
        6.942840107209529866e-03, 6.408994188004207068e-03, 5.951370112758847736e-03, 5.554733551962801371e-03)


def _stirlerr(n: float) -> float:
    """ln(n!) - ln(sqrt(2 pi n) (n/e)^n) (Loader 2000): table below 16, series above."""
    if n < 16.0:
        return _SFE[int(n)]
    nn = n * n
    s0, s1, s2, s3, s4 = 1.0 / 12.0, 1.0 / 360.0, 1.0 / 1260.0, 1.0 / 1680.0, 1.0 / 1188.0
    if n > 500.0:
        return (s0 - s1 / nn) / n
    if n > 80.0:
        return (s0 - (s1 - s2 / nn) / nn) / n
    if n > 35.0:
        return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n
    return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n


def _ln_d0(x: float, np_: float) -> float:
    if abs(x - np_) < 0.1 * (x + np_):
        s = (x - np_) ** 2 / (x + np_)
        v = (x - np_) / (x + np_)
        ej = 2.0 * x * v
        for j in range(1, 1000):
            ej *= v * v
            s1 = s + ej / (2 * j + 1)
            if s1 == s:
                return s1
            s = s1
        return s
    return x * math.log(x / np_) + np_ - x


class Binomial:
    """Binomial(n, success 1 - q), built from the failure probability q as the reference does."""

    __slots__ = ("n", "np", "npq", "nq", "p", "q")

    def __init__(self, n: int, q: float) -> None:
        self.n = n
        self.q = q
        self.p = 1.0 - q
        self.np = n * self.p
        self.nq = n * q
        self.npq = self.np * q

    def mass(self, x: int) -> float:
        n = float(self.n)
        if x == 0:
            return math.exp(n * math.log(self.q))
        if x == self.n:
            return math.exp(n * math.log(self.p))
        xf = float(x)
        n_m_x = n - xf
        ln_c = _stirlerr(n) - _stirlerr(xf) - _stirlerr(n_m_x) - _ln_d0(xf, self.np) - _ln_d0(n_m_x, self.nq)
        return math.exp(ln_c) * math.sqrt(n / (2.0 * math.pi * xf * n_m_x))

    def cdf(self, x: float) -> float:
        if x < 0.0:
            return 0.0
        k = int(x)
        if k == 0:
            return powi(self.q, self.n)
        if k >= self.n:
            return 1.0
        return inc_beta(self.q, float(self.n - k), float(k + 1))

    def _bottom_up(self, p: float) -> bool:
        """The crate's choice ``p <= cdf(n / 2)``, skipping the incomplete beta when a Chernoff bound
        already decides it (cdf(n/2) far below p when units rarely fail, far above when they mostly do)."""
        if self.n > 0 and self.p != 0.5:
            kl = 0.5 * math.log(0.5 / self.p) + 0.5 * math.log(0.5 / self.q)
            bound = -self.n * kl  # log of the Chernoff bound on the far side of n/2
            if self.p > 0.5 and bound < math.log(p) - 1.0:
                return False
            if self.p < 0.5 and bound < math.log1p(-p) - 1.0 and math.exp(bound) < 0.5 * (1.0 - p):
                return True
        return p <= self.cdf(float(self.n // 2))

    def _sum(self, start: float, ratio: float, first: float, down: bool) -> int | None:
        """First k whose running total (start, then +/- each term) crosses zero, with the terms
        a_0 = first, a_k = a_(k-1) * (ratio * ((n - k + 1) / k)), in the crate's operation order.
        numpy's cumprod and cumsum accumulate strictly in order, so this is bit-for-bit the loop."""
        import numpy as np

        n = self.n
        k = np.arange(1, n + 1, dtype=np.float64)
        factors = ratio * ((n - k + 1.0) / k)
        terms = np.cumprod(np.concatenate(([first], factors)))
        steps = np.concatenate(([start], -terms[1:] if down else terms[1:]))
        totals = np.cumsum(steps)
        hit = np.flatnonzero(totals < 0.0) if down else np.flatnonzero(totals >= 0.0)
        return int(hit[0]) if hit.size else None

    def inverse(self, p: float) -> int:
        """The crate's ``Inverse::inverse``: the quantile with its three regimes."""
        n = self.n
        if p == 0.0:
            return 0
        if p == 1.0:
            return n
        if n < 1000:
            if self._bottom_up(p):
                a = powi(self.q, n)
                if n >= 48:
                    j = self._sum(a - p, self.p / self.q, a, down=False)
                    return n if j is None else j
                ratio = self.p / self.q
                total = a - p
                k = 1
                while total < 0.0 and k <= n + 1:
                    a *= ratio * ((n - k + 1) / k)
                    total += a
                    k += 1
                return min(k - 1, n)  # rounding can leave the total short of 1: the reference then spins
            a = powi(self.p, n)
            if n >= 48:
                j = self._sum((1.0 - p) - a, self.q / self.p, a, down=True)
                return 0 if j is None else n - j
            ratio = self.q / self.p
            total = (1.0 - p) - a
            k = 1
            while total >= 0.0 and k <= n + 1:
                a *= ratio * ((n - k + 1) / k)
                total -= a
                k += 1
            return max(n - k + 1, 0)
        if self.npq > 80.0:
            value = math.floor(_cornish_fisher(self.p, self.np, self.npq, p))
            return max(int(value), 0)
        r = self.p * (n + 1)
        x = float(math.floor(r)) if r - math.trunc(r) != 0.0 else float(int(r) - 1)
        alpha = 1.0
        for _ in range(_MAX_NEWTON_STEPS):
            k = 0 if math.isnan(x) else max(int(x), 0)
            m = self.mass(min(k, n))
            delta = alpha * (p - self.cdf(x)) / m if m > 0.0 else math.nan
            if math.isnan(delta):
                break
            if abs(delta) < 0.5:
                return k
            x += delta
            alpha *= 0.999
        raise QuantileError(
            f"the binomial quantile (n={n}, failure probability {self.q:.6g}) does not converge; "
            "the reference estimator spins forever on this input"
        )
