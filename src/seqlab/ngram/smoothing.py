"""Smoothing strategies: counts in, a backoff-form model out (NLTK's strategy design).

Every strategy is a small frozen dataclass with one method, ``estimate(counts)``, that turns
the n-gram tables of :mod:`seqlab.ngram._kernels` into, for every order n and every n-gram
row, a natural-log probability ``ln P(w1..wn)`` and a natural-log backoff weight ``ln b(w1..wn)``
(used when ``w1..wn`` is the context). Scoring is then the same for all of them (ARPA
semantics): the longest n-gram in the model, plus the backoffs of the longer contexts.
Interpolated estimators fit this form exactly: ``b(h) = gamma(h)`` and ``P(h w)`` is the
interpolated probability (Chen & Goodman 1998, section 4; KenLM does the same).

Conventions (KenLM's): each sentence is ``<s> w1 .. wk </s>``; ``<s>`` is context only and
never predicted; the predicted vocabulary has ``Vp = V - 2`` tokens (everything but
``<pad>`` and ``<s>``; ``</s>`` and ``<unk>`` included); the lowest level interpolates with
the uniform distribution ``1 / Vp``, which is where unseen tokens get their probability.
N-grams that start with ``<s>`` cannot be extended to the left, so "full" estimates use them
as if they were of the highest order.

Strategies: :class:`MLE`, :class:`Laplace`, :class:`Lidstone` (add-k),
:class:`AbsoluteDiscount`, :class:`WittenBell`, :class:`KneserNey`,
:class:`ModifiedKneserNey` (default), :class:`Katz`, :class:`StupidBackoff` (unnormalised).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from seqlab._validation import check_positive
from seqlab.data.vocab import BOS_ID, PAD_ID
from seqlab.exceptions import DegenerateFitWarning, InvalidParameterError
from seqlab.io import register
from seqlab.ngram._kernels import NGramCounts, table_rows, trim_heap

KENLM_FALLBACK = (0.5, 1.0, 1.5)  # lmplz --discount_fallback defaults
log = logging.getLogger(__name__)  # debug records mark the phases of an estimate (bench/ngram_memory.py)
#: rows per step of the interpolation (:func:`_interpolated`): bounds its temporaries to ~70 MiB
#: whatever the model's size; the result does not depend on it.
SMOOTH_BLOCK = 1 << 20


@dataclass
class Estimate:
    """A fitted backoff-form model: per order, ``ln P`` and ``ln b`` of every row."""

    log_probs: list[np.ndarray]
    log_backoffs: list[np.ndarray]
    default_backoff: float = 0.0  # ln b of a context that is not in the model
    info: dict[str, Any] = field(default_factory=dict)


DiscountsOf = Callable[[int, np.ndarray], np.ndarray]  # (order n, some of its counts) -> their discounts


class Smoothing:
    """Base class of smoothing strategies (frozen dataclasses registered with :mod:`seqlab.io`)."""

    normalised: ClassVar[bool] = True
    name: ClassVar[str] = "smoothing"
    #: interpolated strategies (:func:`_interpolated`) say which counts they interpolate:
    #: ``"adjusted"`` (Kneser-Ney's continuation counts) or ``"raw"``; None for the others.
    #: An interpolated strategy's model can be built out of core (:mod:`seqlab.ngram.ondisk`).
    interpolated_counts: ClassVar[str | None] = None

    def estimate(self, counts: NGramCounts) -> Estimate:
        """Turn n-gram counts into log probabilities and backoff weights."""
        raise NotImplementedError

    def interpolation(self, count_of_counts: Callable[[int, int], np.ndarray], order: int
                      ) -> tuple[DiscountsOf | None, dict[str, Any]]:
        """An interpolated strategy's discounts (None: Witten-Bell's form) and the model's ``info``.

        ``count_of_counts(n, k)`` gives :func:`count_of_counts` of order n's interpolated counts.
        """
        raise NotImplementedError(f"{type(self).__name__} is not an interpolated strategy")


# ---------------------------------------------------------------------- helpers
def _log(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        out: np.ndarray = np.log(x)
    return out


_check_positive = check_positive  # the shared validator of seqlab._validation


def _predictable(V: int) -> int:
    return V - 2  # all ids but <pad> and <s>


def raw_counts(c: NGramCounts, n: int) -> np.ndarray:
    """Raw counts of order n; at order 1 ``<pad>`` and ``<s>`` (never predicted) count 0."""
    a = c.counts[n - 1].astype(np.float64)
    if n == 1:
        a = a.copy()
        a[[PAD_ID, BOS_ID]] = 0.0
    return a


def adjusted_counts(c: NGramCounts, n: int) -> np.ndarray:
    """KenLM's adjusted counts: raw at order N and for n-grams starting with ``<s>``,
    else continuation counts N1+(. w1..wn)."""
    return _adjusted_ints(c, n).astype(np.float64)


def _adjusted_ints(c: NGramCounts, n: int) -> np.ndarray:
    """:func:`adjusted_counts` as int64 (the same values; the discounts need no float copy)."""
    if n == c.order:
        a = c.counts[n - 1].astype(np.int64)  # a fresh copy: the tables are not written to
    else:
        a = c.continuation(n)
        np.copyto(a, c.counts[n - 1], where=c.starts_with_bos(n))
    if n == 1:
        a[[PAD_ID, BOS_ID]] = 0
    return a


def _raw_ints(c: NGramCounts, n: int) -> np.ndarray:
    """:func:`raw_counts` as int64."""
    a = c.counts[n - 1].astype(np.int64)
    if n == 1:
        a[[PAD_ID, BOS_ID]] = 0
    return a


def count_of_counts(a: np.ndarray, k: int) -> np.ndarray:
    """``t[j]`` = number of rows with count exactly ``j`` for ``j = 0..k`` (``t[0]`` unused)."""
    ai = a.astype(np.int64, copy=False)
    return np.bincount(ai[(ai >= 1) & (ai <= k)], minlength=k + 1)[: k + 1]


def _log_owned(arrays: list[np.ndarray], done: set[int]) -> list[np.ndarray]:
    """ln of each array, in place where the array owns its float64 data (same bits as ``np.log``).

    The probability arrays are fresh results nobody else holds, so taking the log in place
    spares one model-sized copy per list at the peak of the fit; an array seen before (the
    same object twice) is logged once.
    """
    out = []
    for x in arrays:
        if id(x) in done:
            out.append(x)
        elif isinstance(x, np.ndarray) and x.dtype == np.float64 and x.flags.owndata and x.flags.writeable:
            with np.errstate(divide="ignore"):
                np.log(x, out=x)
            done.add(id(x))
            out.append(x)
        else:
            out.append(_log(x))
    return out


def _finish(probs: list[np.ndarray], gammas: list[np.ndarray], info: dict[str, Any] | None = None,
            default_backoff: float = 0.0) -> Estimate:
    done: set[int] = set()
    log_probs = _log_owned(probs, done)
    log_probs[0][[PAD_ID, BOS_ID]] = -np.inf
    return Estimate(log_probs, _log_owned(gammas, done), default_backoff, info or {})


def context_blocks(keys: np.ndarray, vocab_size: int, block: int) -> Iterator[tuple[int, int]]:
    """Row ranges ``[r0, r1)`` of about ``block`` rows of a sorted table, each holding whole contexts.

    The rows of one context are contiguous (keys are ``context_row * V + word``, sorted), so a
    range cut where the context changes lets per-context sums be taken range by range with
    the same additions in the same order as over the whole table. A context longer than
    ``block`` rows gets a range of its own.
    """
    V, total, r0 = vocab_size, keys.size, 0
    while r0 < total:
        r1 = min(r0 + block, total)
        if r1 < total:  # back up to the first row of row r1's context; past r0's context if that is r0
            r1 = int(np.searchsorted(keys, (int(keys[r1]) // V) * V, side="left"))
            if r1 <= r0:
                r1 = int(np.searchsorted(keys, (int(keys[r0]) // V + 1) * V, side="left"))
        yield r0, r1
        r0 = r1


def unigram_level(a: np.ndarray, discounts_of: DiscountsOf | None, vocab_size: int) -> np.ndarray:
    """Order 1 of :func:`_interpolated`: ``u + gamma0 / Vp`` from the unigram counts ``a`` (float64)."""
    if discounts_of is None:
        kept, mass, extra = a, (a > 0).astype(np.float64), True
    else:
        d = discounts_of(1, a)
        kept, mass, extra = a - d, d, False
    den1 = a.sum() + (mass.sum() if extra else 0.0)
    gamma0 = mass.sum() / den1 if den1 > 0 else 1.0
    out: np.ndarray = (kept / den1 if den1 > 0 else np.zeros_like(kept)) + gamma0 / _predictable(vocab_size)
    return out


def interpolate_block(n: int, ab: np.ndarray, keys: np.ndarray, vocab_size: int, discounts_of: DiscountsOf | None,
                      lower_p: np.ndarray) -> tuple[int, np.ndarray]:
    """One block of whole contexts of order ``n`` (``n >= 2``), turned into probabilities in place.

    ``ab`` (b,) float64 counts of the block's rows become ``p_n``; ``keys`` (b,) are the rows'
    keys, ``lower_p`` (b,) ``p_(n-1)`` of each row's suffix. Returns the first context row
    ``h0`` and ``gamma`` of contexts ``h0 .. h0 + width - 1``. The same operations in the same
    order whatever the block, so the bits do not depend on how a table is cut.
    """
    V = vocab_size
    h = keys // V  # (b,) context row of each n-gram
    h0 = int(h[0])
    h -= h0
    width = int(h[-1]) + 1
    den = np.bincount(h, weights=ab, minlength=width)  # (width,)
    if discounts_of is None:
        gnum = np.bincount(h, weights=(ab > 0).astype(np.float64), minlength=width)
        den += gnum  # den + gnum
    else:
        d = discounts_of(n, ab)
        gnum = np.bincount(h, weights=d, minlength=width)
        np.subtract(ab, d, out=ab)  # a - d: the kept mass
        del d
    safe = np.where(den > 0, den, 1.0)
    g = np.where(den > 0, gnum / safe, 1.0)
    ab /= safe[h]  # kept / safe[h]
    lower = g[h]
    lower *= lower_p  # gamma[h] * p_(n-1)(suffix)
    ab += lower
    return h0, g


def _interpolated(c: NGramCounts, counts_of: Callable[[int], np.ndarray], discounts_of: DiscountsOf | None
                  ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Interpolate every order with the next lower one down to the uniform distribution.

    With ``discounts_of`` (absolute, KN, modified KN): ``u = (a - d) / sum a`` and
    ``gamma = sum d / sum a`` per context. Without (Witten-Bell): ``u = a / (sum a + N1+)``
    and ``gamma = N1+ / (sum a + N1+)``. Then ``p_n = u + gamma(h) p_(n-1)(suffix)``.

    Memory: order by order, and within an order :data:`SMOOTH_BLOCK` rows at a time.
    ``counts_of(n)`` gives a fresh float64 array of order n's counts, which becomes order n's
    probabilities in place; ``discounts_of(n, a)`` gives the discounts of some of those rows.
    Only one order's counts, and one block's suffix rows (read alone when the tables are on
    disk, :func:`~seqlab.ngram._kernels.table_rows`) and temporaries, are alive besides the
    model's own arrays. Per-context sums are taken over ranges of whole contexts
    (:func:`context_blocks`, :func:`interpolate_block`), so the bits are those of the
    whole-array form ``(a - d) / safe[h] + gamma[h] * p[suffix]``; the out-of-core build
    (:mod:`seqlab.ngram.ondisk`) runs the same two functions.

    Returns ``(probs per order, gammas per order)``.
    """
    V = c.vocab_size
    probs: list[np.ndarray] = []
    gammas: list[np.ndarray] = []
    for n in range(1, c.order + 1):
        a = counts_of(n)  # (n_n,) float64, overwritten below with p_n
        if n == 1:
            probs.append(unigram_level(a, discounts_of, V))
            continue
        keys, lower_p = c.keys[n - 1], probs[-1]
        gamma = np.ones(c.keys[n - 2].size)  # (H,) a context with no extension keeps all its mass: 1
        for r0, r1 in context_blocks(keys, V, SMOOTH_BLOCK):
            h0, g = interpolate_block(n, a[r0:r1], keys[r0:r1], V, discounts_of,
                                      lower_p[table_rows(c.suffix, n - 1, r0, r1)])
            gamma[h0:h0 + g.size] = g
            del g
        trim_heap()
        gammas.append(gamma)
        probs.append(a)
        log.debug("phase: smoothing: order %d interpolated", n)
    gammas.append(np.ones(c.keys[-1].size))
    return probs, gammas


def _estimate_interpolated(smoothing: Smoothing, c: NGramCounts) -> Estimate:
    """The in-memory estimate of an interpolated strategy (its out-of-core twin: :mod:`seqlab.ngram.ondisk`)."""
    adjusted = smoothing.interpolated_counts == "adjusted"
    ints = _adjusted_ints if adjusted else _raw_ints
    discounts_of, info = smoothing.interpolation(lambda n, k: count_of_counts(ints(c, n), k), c.order)
    log.debug("phase: smoothing: discounts")
    trim_heap()
    probs, gammas = _interpolated(c, (lambda n: adjusted_counts(c, n)) if adjusted else (lambda n: raw_counts(c, n)),
                                  discounts_of)
    return _finish(probs, gammas, info)


# ---------------------------------------------------------------------- additive
@register
@dataclass(frozen=True)
class Lidstone(Smoothing):
    """Add-k smoothing: ``p(w | h) = (c(h w) + k) / (c(h) + k Vp)`` on full-length contexts.

    ``k < 1`` gives the "pseudo-observations with a weight smaller than 1"; ``k = 1`` is
    Laplace. Only the highest order (and sentence-initial contexts, which cannot be
    longer) is modelled, as in NLTK; a context seen nowhere gives the uniform distribution.

    Parameters
    ----------
    alpha : float, default=0.5
        The pseudo-count ``k``, > 0.
    """

    alpha: float = 0.5
    name: ClassVar[str] = "lidstone"

    def __post_init__(self) -> None:
        _check_positive(self.alpha, "alpha", type(self).__name__)

    @property
    def _k(self) -> float:
        return float(self.alpha)

    def estimate(self, counts: NGramCounts) -> Estimate:
        c, k = counts, self._k
        N, Vp = c.order, _predictable(c.vocab_size)
        probs: list[np.ndarray] = []
        gammas: list[np.ndarray] = []
        for n in range(1, N + 1):
            a = raw_counts(c, n)
            if n == 1:
                p = (a + k) / (a.sum() + k * Vp) if N == 1 else np.full(a.size, 1.0 / Vp)
                probs.append(p)
                continue
            full = c.starts_with_bos(n) | (n == N)
            h = c.prefix(n)
            H = c.keys[n - 2].size
            den = np.bincount(h[full], weights=a[full], minlength=H)
            norm = den[h] + k * Vp
            probs.append(np.where(full, (a + k) / np.where(norm > 0, norm, 1.0), 1.0 / Vp))
            ctx_full = c.starts_with_bos(n - 1) | (n == N)
            with np.errstate(divide="ignore", invalid="ignore"):
                bo = np.where(ctx_full & (den > 0), k * Vp / (den + k * Vp), 1.0)
            gammas.append(bo)
        gammas.append(np.ones(c.keys[-1].size))
        return _finish(probs, gammas, {"alpha": k})


@register
@dataclass(frozen=True)
class Laplace(Lidstone):
    """Add-one smoothing (Lidstone with ``alpha = 1``)."""

    alpha: float = 1.0
    name: ClassVar[str] = "laplace"

    def __post_init__(self) -> None:
        if self.alpha != 1.0:
            raise InvalidParameterError(f"Laplace is add-one; got alpha={self.alpha!r}. Use Lidstone(alpha=...).")


@register
@dataclass(frozen=True)
class MLE(Smoothing):
    """Maximum likelihood: ``p(w | h) = c(h w) / c(h)``; unseen n-grams get probability 0.

    A context seen nowhere gives the uniform distribution (NLTK gives 0 for every word).
    """

    name: ClassVar[str] = "mle"

    def estimate(self, counts: NGramCounts) -> Estimate:
        est = _AddZero().estimate(counts)
        est.info = {}
        return est


@dataclass(frozen=True)
class _AddZero(Lidstone):
    alpha: float = 0.0

    def __post_init__(self) -> None:
        pass


# ---------------------------------------------------------------------- discounting
@register
@dataclass(frozen=True)
class AbsoluteDiscount(Smoothing):
    """Interpolated absolute discounting on raw counts (Ney, Essen & Kneser 1994).

    ``p(w | h) = max(c(h w) - D, 0) / c(h) + D N1+(h .) / c(h) * p(w | h')``.

    Parameters
    ----------
    discount : float, default=0.75
        ``D`` in (0, 1].
    """

    discount: float = 0.75
    name: ClassVar[str] = "absolute-discount"

    def __post_init__(self) -> None:
        _check_positive(self.discount, "discount", type(self).__name__, upper=1.0)

    interpolated_counts: ClassVar[str | None] = "raw"

    def interpolation(self, count_of_counts: Callable[[int, int], np.ndarray], order: int
                      ) -> tuple[DiscountsOf | None, dict[str, Any]]:
        return (lambda n, a: np.minimum(a, self.discount)), {"discount": self.discount}

    def estimate(self, counts: NGramCounts) -> Estimate:
        return _estimate_interpolated(self, counts)


@register
@dataclass(frozen=True)
class KneserNey(AbsoluteDiscount):
    """Interpolated Kneser-Ney with one discount for every order.

    Like :class:`AbsoluteDiscount` but lower orders use continuation counts
    N1+(. w1..wn) (KenLM's adjusted counts; n-grams starting with ``<s>`` keep raw counts).
    """

    name: ClassVar[str] = "kneser-ney"
    interpolated_counts: ClassVar[str | None] = "adjusted"


@register
@dataclass(frozen=True)
class ModifiedKneserNey(Smoothing):
    """Interpolated modified Kneser-Ney: three discounts per order (Chen & Goodman 1998).

    Discounts ``D1, D2, D3+`` of each order come from the count-of-counts ``t_k`` of the
    adjusted counts: ``Y = t1 / (t1 + 2 t2)``, ``D_k = k - (k + 1) Y t_(k+1) / t_k`` -- the
    estimator of KenLM's ``lmplz``. Where a ``t_k`` is 0 or a discount falls outside
    ``[0, k]`` (tiny or artificial corpora; ``lmplz`` aborts there), that order uses
    ``fallback`` and a :class:`~seqlab.exceptions.DegenerateFitWarning` is issued.

    Parameters
    ----------
    fallback : tuple of 3 floats, default=(0.5, 1.0, 1.5)
        Discounts used where the estimate is undefined (``lmplz --discount_fallback``).
    """

    fallback: tuple[float, float, float] = KENLM_FALLBACK
    name: ClassVar[str] = "modified-kneser-ney"

    def __post_init__(self) -> None:
        fb = tuple(self.fallback) if isinstance(self.fallback, list | tuple) else None
        if fb is None or len(fb) != 3 or not all(
                isinstance(x, int | float) and 0 <= x <= k for k, x in enumerate(fb, 1)):
            raise InvalidParameterError(f"ModifiedKneserNey: fallback must be 3 discounts with 0 <= D_k <= k, "
                                        f"got {self.fallback!r}.")
        object.__setattr__(self, "fallback", tuple(float(x) for x in fb))

    interpolated_counts: ClassVar[str | None] = "adjusted"

    def discounts(self, counts: NGramCounts) -> list[tuple[float, float, float]]:
        """``(D1, D2, D3+)`` of every order, estimated (or fallen back) as described above."""
        return self._discounts(lambda n, k: count_of_counts(_adjusted_ints(counts, n), k), counts.order)

    def _discounts(self, count_of_counts: Callable[[int, int], np.ndarray], order: int
                   ) -> list[tuple[float, float, float]]:
        out = []
        for n in range(1, order + 1):
            t = count_of_counts(n, 4).astype(np.float64)
            ds: tuple[float, float, float] | None = None
            if t[1] > 0 and t[2] > 0 and t[3] > 0:
                y = t[1] / (t[1] + 2 * t[2])
                d1, d2, d3 = (float(k - (k + 1) * y * t[k + 1] / t[k]) for k in (1, 2, 3))
                ds = (d1, d2, d3)
                if not all(0 <= d <= k for k, d in enumerate(ds, 1)):
                    ds = None
            if ds is None:
                warnings.warn(
                    f"modified Kneser-Ney discounts of order {n} are undefined or out of range for these counts "
                    f"(count-of-counts t1..t4 = {t[1:].astype(int).tolist()}); using fallback {self.fallback}. "
                    "The corpus is probably too small for this order.", DegenerateFitWarning, stacklevel=5)
                ds = self.fallback
            out.append(ds)
        return out

    def interpolation(self, count_of_counts: Callable[[int, int], np.ndarray], order: int
                      ) -> tuple[DiscountsOf | None, dict[str, Any]]:
        ds = self._discounts(count_of_counts, order)

        def discounts_of(n: int, a: np.ndarray) -> np.ndarray:
            D = ds[n - 1]
            out: np.ndarray = np.select([a == 0, a == 1, a == 2], [0.0, D[0], D[1]], D[2])
            return out

        return discounts_of, {"discounts": [list(x) for x in ds]}

    def estimate(self, counts: NGramCounts) -> Estimate:
        return _estimate_interpolated(self, counts)


@register
@dataclass(frozen=True)
class WittenBell(Smoothing):
    """Interpolated Witten-Bell: ``p(w|h) = (c(h w) + N1+(h .) p(w|h')) / (c(h) + N1+(h .))``.

    Raw counts at every order; the unigram level interpolates with the uniform distribution.
    """

    name: ClassVar[str] = "witten-bell"
    interpolated_counts: ClassVar[str | None] = "raw"

    def interpolation(self, count_of_counts: Callable[[int, int], np.ndarray], order: int
                      ) -> tuple[DiscountsOf | None, dict[str, Any]]:
        return None, {}

    def estimate(self, counts: NGramCounts) -> Estimate:
        return _estimate_interpolated(self, counts)


# ---------------------------------------------------------------------- backoff
@register
@dataclass(frozen=True)
class Katz(Smoothing):
    """Katz backoff with Good-Turing discounts (Katz 1987).

    Counts ``c <= cutoff`` are discounted by ``d_c = (c*/c - A) / (1 - A)`` with
    ``c* = (c + 1) t_(c+1) / t_c`` and ``A = (cutoff + 1) t_(cutoff+1) / t_1``; the freed mass
    of each context goes to the lower order, renormalised over the unseen words
    (``alpha(h)``). The unigram level gives its freed mass to the uniform distribution.
    A context whose counts all exceed ``cutoff`` would free no mass (unseen words would get
    probability 0); there the counts are discounted by 0.5 in total instead.
    Where the Good-Turing ratios are undefined or outside (0, 1] (small corpora), that
    order uses absolute discounting by 0.5 instead, with a ``DegenerateFitWarning``.

    Parameters
    ----------
    cutoff : int, default=5
        Counts above it are trusted (not discounted).
    """

    cutoff: int = 5
    name: ClassVar[str] = "katz"

    def __post_init__(self) -> None:
        if isinstance(self.cutoff, bool) or not isinstance(self.cutoff, int) or self.cutoff < 1:
            raise InvalidParameterError(f"Katz: cutoff must be an int >= 1, got {self.cutoff!r}.")

    def _ratios(self, a: np.ndarray, n: int) -> np.ndarray:
        K = self.cutoff
        t = count_of_counts(a, K + 1).astype(np.float64)
        c = np.arange(1, K + 1, dtype=np.float64)
        ok = bool((t[1:] > 0).all())
        if ok:
            A = (K + 1) * t[K + 1] / t[1]
            d = ((c + 1) * t[2:] / (c * t[1:K + 1]) - A) / (1 - A) if A < 1 else np.zeros(K)
            ok = bool(A < 1 and ((d > 0) & (d <= 1)).all())
        if not ok:
            warnings.warn(f"Good-Turing discounts of order {n} are undefined for these counts; "
                          "using absolute discounting by 0.5 there.", DegenerateFitWarning, stacklevel=4)
            d = (c - 0.5) / c
        ratio = np.ones(a.size)
        small = (a >= 1) & (a <= K)
        ratio[small] = d[a[small].astype(np.int64) - 1]
        return ratio

    def estimate(self, counts: NGramCounts) -> Estimate:
        c = counts
        Vp = _predictable(c.vocab_size)
        probs: list[np.ndarray] = []
        gammas: list[np.ndarray] = []
        for n in range(1, c.order + 1):
            a = raw_counts(c, n)
            disc = a * self._ratios(a, n)
            if n == 1:
                total = a.sum()
                if disc.sum() >= total * (1 - 1e-12):  # every count above the cutoff: free 0.5 in total
                    disc = disc * (1 - 0.5 / total)
                probs.append(disc / total + (1 - disc.sum() / total) / Vp)
                continue
            h = c.prefix(n)
            H = c.keys[n - 2].size
            den = np.bincount(h, weights=a, minlength=H)
            safe = np.where(den > 0, den, 1.0)
            p = disc / safe[h]
            left = 1.0 - np.bincount(h, weights=p, minlength=H)
            lower = 1.0 - np.bincount(h, weights=probs[-1][c.suffix[n - 1]], minlength=H)
            full = (den > 0) & (lower <= 1e-12)  # every word seen after h: renormalise instead
            p = np.where(full[h], p / np.where(full, 1 - left, 1.0)[h], p)
            # Contexts whose counts all exceed the cutoff keep no mass for unseen words; give
            # them an absolute discount of 0.5 on the total so that no word has probability 0.
            stuck = (den > 0) & ~full & (left <= 1e-12)
            p = np.where(stuck[h], p * (1 - 0.5 / safe)[h], p)
            left = np.where(stuck, 0.5 / safe, left)
            alpha = np.where((den > 0) & ~full, left / np.where(lower > 1e-12, lower, 1.0), 1.0)
            gammas.append(np.maximum(alpha, 0.0))
            probs.append(p)
        gammas.append(np.ones(c.keys[-1].size))
        return _finish(probs, gammas, {"cutoff": self.cutoff})


@register
@dataclass(frozen=True)
class StupidBackoff(Smoothing):
    """Stupid backoff (Brants et al. 2007): scores, not probabilities.

    ``S(w | h) = c(h w) / c(h)`` if ``h w`` was seen, else ``alpha * S(w | h')``; the unigram
    level is add-one smoothed ``(c(w) + 1) / (T + Vp)`` so unseen tokens score above 0.
    The scores do not sum to 1 over the vocabulary, so "perplexities" from this model are
    not comparable with those of the normalised estimators.

    Parameters
    ----------
    alpha : float, default=0.4
        Backoff factor in (0, 1].
    """

    alpha: float = 0.4
    name: ClassVar[str] = "stupid-backoff"
    normalised: ClassVar[bool] = False

    def __post_init__(self) -> None:
        _check_positive(self.alpha, "alpha", type(self).__name__, upper=1.0)

    def estimate(self, counts: NGramCounts) -> Estimate:
        c = counts
        Vp = _predictable(c.vocab_size)
        probs: list[np.ndarray] = []
        for n in range(1, c.order + 1):
            a = raw_counts(c, n)
            if n == 1:
                probs.append((a + 1) / (a.sum() + Vp))
                continue
            h = c.prefix(n)
            den = np.bincount(h, weights=a, minlength=c.keys[n - 2].size)
            probs.append(a / den[h])
        gammas = [np.full(k.size, self.alpha) for k in c.keys]
        return _finish(probs, gammas, {"alpha": self.alpha}, default_backoff=math.log(self.alpha))


# ---------------------------------------------------------------------- by name
@register
@dataclass(frozen=True)
class FromARPA(Smoothing):
    """Marker for a model read from an ARPA file: its probabilities were estimated elsewhere."""

    name: ClassVar[str] = "arpa"

    def estimate(self, counts: NGramCounts) -> Estimate:
        raise InvalidParameterError("A model read from an ARPA file cannot be refitted; choose a smoothing strategy.")


SMOOTHING: dict[str, type[Smoothing]] = {cls.name: cls for cls in (
    MLE, Laplace, Lidstone, AbsoluteDiscount, KneserNey, WittenBell, ModifiedKneserNey, Katz, StupidBackoff)}


def make_smoothing(name: str, *, alpha: float | None = None, discount: float | None = None) -> Smoothing:
    """Strategy by its command-line name; ``alpha`` for lidstone/stupid-backoff, ``discount`` for
    absolute-discount/kneser-ney. Irrelevant options are refused rather than ignored."""
    cls = SMOOTHING.get(name)
    if cls is None:
        raise InvalidParameterError(f"Unknown smoothing {name!r}; choose one of {', '.join(SMOOTHING)}.")
    kwargs: dict[str, float] = {}
    if alpha is not None:
        if cls not in (Lidstone, StupidBackoff):
            raise InvalidParameterError(f"--alpha applies to lidstone and stupid-backoff, not {name}.")
        kwargs["alpha"] = alpha
    if discount is not None:
        if cls not in (AbsoluteDiscount, KneserNey):
            raise InvalidParameterError(f"--discount applies to absolute-discount and kneser-ney, not {name}.")
        kwargs["discount"] = discount
    return cls(**kwargs)
