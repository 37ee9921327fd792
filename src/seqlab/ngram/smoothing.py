"""Smoothing strategies: counts in, a backoff-form model out (NLTK's strategy design).

Every strategy is a small frozen dataclass whose ``estimate(counts)`` turns the n-gram
tables of :mod:`seqlab.ngram._kernels` into, for every order n and every n-gram row, a
natural-log probability ``ln P(w1..wn)`` and a natural-log backoff weight ``ln b(w1..wn)``
(used when ``w1..wn`` is the context). A strategy states its estimate once, as functions over
blocks of whole contexts (:meth:`Smoothing.block_form`, :class:`BlockForm`); the in-memory
build (:func:`estimate_in_memory`) and the out-of-core one (:mod:`seqlab.ngram.ondisk`) run
those same functions, so they give the same bits. Scoring is then the same for all of them (ARPA
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

import bisect
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
from seqlab.ngram._kernels import NGramCounts, trim_heap

KENLM_FALLBACK = (0.5, 1.0, 1.5)  # lmplz --discount_fallback defaults
log = logging.getLogger(__name__)  # debug records mark the phases of an estimate (bench/ngram_memory.py)
#: rows per block of the in-memory build (:func:`estimate_in_memory`): bounds its temporaries to ~70 MiB
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
CountOfCounts = Callable[[int, int], np.ndarray]  # (order n, k) -> count_of_counts of order n's counts
#: one block of whole contexts of order n >= 2 -> (p of its rows, gamma of its contexts); see BlockForm
BlockFn = Callable[[int, np.ndarray, np.ndarray, "np.ndarray | None", "np.ndarray | None", "np.ndarray | None"],
                   tuple[np.ndarray, np.ndarray]]


@dataclass
class BlockForm:
    """A strategy's estimate as functions over blocks of whole contexts: what both builds run.

    The in-memory build (:func:`estimate_in_memory`) and the out-of-core one
    (:mod:`seqlab.ngram.ondisk`) cut each order's sorted table into blocks of whole contexts
    and call the same functions on them, so the two give the same bits.

    ``unigrams(a)``: order 1's probabilities from its counts (float64, ``<pad>`` and ``<s>`` 0).
    ``block(n, a, keys, lower_p, bos, ctx_bos)`` for order n >= 2: ``a`` (b,) float64 counts of
    the block's rows (may be overwritten), ``keys`` (b,) their keys, ``lower_p`` (b,) the order
    below's probability of each row's suffix (None unless ``needs_lower``), ``bos`` (b,) which
    rows start with ``<s>``, ``ctx_bos`` (width,) which of the contexts ``h0 .. h1 - 1`` do
    (both None unless ``needs_bos``);
    returns ``p`` (b,) and ``gamma`` (width,) of those contexts (``h0 = keys[0] // V``,
    ``h1 = keys[-1] // V + 1``).
    """

    adjusted: bool  # continuation counts below the top order (Kneser-Ney), else raw counts
    unigrams: Callable[[np.ndarray], np.ndarray]
    block: BlockFn
    needs_lower: bool
    info: dict[str, Any]
    gamma_fill: float = 1.0  # gamma of a context without extensions, and of the highest order's rows
    default_backoff: float = 0.0
    needs_bos: bool = False


class Smoothing:
    """Base class of smoothing strategies (frozen dataclasses registered with :mod:`seqlab.io`).

    A strategy states its estimate as a :class:`BlockForm` (:meth:`block_form`); ``estimate``
    runs it in memory, :mod:`seqlab.ngram.ondisk` out of core.
    """

    normalised: ClassVar[bool] = True
    name: ClassVar[str] = "smoothing"
    #: whether the strategy interpolates Kneser-Ney's continuation counts below the top order
    #: (its count-of-counts are then those of the continuation counts)
    adjusted: ClassVar[bool] = False

    def estimate(self, counts: NGramCounts) -> Estimate:
        """Turn n-gram counts into log probabilities and backoff weights."""
        return estimate_in_memory(self, counts)

    def block_form(self, count_of_counts: CountOfCounts, order: int, vocab_size: int) -> BlockForm:
        """The estimate as block functions, given the count-of-counts of each order's counts."""
        raise NotImplementedError


# ---------------------------------------------------------------------- helpers
def log_or_ninf(x: np.ndarray) -> np.ndarray:
    """``np.log(x)``, with ``log(0) = -inf`` and no warning."""
    with np.errstate(divide="ignore"):
        out: np.ndarray = np.log(x)
    return out


_check_positive = check_positive  # the shared validator of seqlab._validation


def _predictable(V: int) -> int:
    return V - 2  # all ids but <pad> and <s>


def raw_counts(c: NGramCounts, n: int) -> np.ndarray:
    """Raw counts of order n; at order 1 ``<pad>`` and ``<s>`` (never predicted) count 0."""
    return _raw_ints(c, n).astype(np.float64)


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
    """:func:`raw_counts` as int64 (order n's own table above order 1: read it, do not write it)."""
    a = c.counts[n - 1].astype(np.int64, copy=n == 1)
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
            out.append(log_or_ninf(x))
    return out


def _finish(probs: list[np.ndarray], gammas: list[np.ndarray], info: dict[str, Any] | None = None,
            default_backoff: float = 0.0) -> Estimate:
    done: set[int] = set()
    log_probs = _log_owned(probs, done)
    log_probs[0][[PAD_ID, BOS_ID]] = -np.inf
    return Estimate(log_probs, _log_owned(gammas, done), default_backoff, info or {})


def context_blocks(keys: Any, vocab_size: int, block: int) -> Iterator[tuple[int, int]]:
    """Row ranges ``[r0, r1)`` of about ``block`` rows of a sorted table, each holding whole contexts.

    The rows of one context are contiguous (keys are ``context_row * V + word``, sorted), so a
    range cut where the context changes lets per-context sums be taken range by range with
    the same additions in the same order as over the whole table. A context longer than
    ``block`` rows gets a range of its own. ``keys`` is an array or a file of keys
    (:class:`~seqlab.ngram.outofcore.FlatFile`): only the rows at the cuts are read.
    """
    V, total, r0 = vocab_size, int(keys.size), 0
    while r0 < total:
        r1 = min(r0 + block, total)
        if r1 < total:  # back up to the first row of row r1's context; past r0's context if that is r0
            r1 = bisect.bisect_left(keys, (int(keys[r1]) // V) * V, r0, r1)
            if r1 <= r0:
                r1 = bisect.bisect_left(keys, (int(keys[r0]) // V + 1) * V, r0, total)
        yield r0, r1
        r0 = r1


def estimate_in_memory(smoothing: Smoothing, c: NGramCounts) -> Estimate:
    """Run ``smoothing``'s :class:`BlockForm` over tables in memory, order by order.

    Memory: one order's counts at a time (they become its probabilities in place), and within
    an order :data:`SMOOTH_BLOCK` rows of temporaries. Per-context sums are taken over ranges
    of whole contexts (:func:`context_blocks`), so the bits do not depend on the block size.
    """
    V, N = c.vocab_size, c.order
    ints = _adjusted_ints if smoothing.adjusted else _raw_ints
    form = smoothing.block_form(lambda n, k: count_of_counts(ints(c, n), k), N, V)
    log.debug("phase: smoothing: discounts")
    trim_heap()
    count = adjusted_counts if form.adjusted else raw_counts
    probs: list[np.ndarray] = [form.unigrams(count(c, 1))]
    gammas: list[np.ndarray] = []
    for n in range(2, N + 1):
        a = count(c, n)  # (n_n,) float64, overwritten below with p_n
        keys, suffix, lower = c.keys[n - 1], c.suffix[n - 1], probs[-1]
        bos, ctx_bos = (c.starts_with_bos(n), c.starts_with_bos(n - 1)) if form.needs_bos else (None, None)
        gamma = np.full(c.keys[n - 2].size, form.gamma_fill)  # (H,) contexts without extension keep the fill
        for r0, r1 in context_blocks(keys, V, SMOOTH_BLOCK):
            kb = keys[r0:r1]
            h0, h1 = int(kb[0]) // V, int(kb[-1]) // V + 1
            lower_p = lower[suffix[r0:r1]] if form.needs_lower else None
            view = a[r0:r1]
            p, g = form.block(n, view, kb, lower_p, None if bos is None else bos[r0:r1],
                              None if ctx_bos is None else ctx_bos[h0:h1])
            if p is not view:  # the interpolated strategies work in place
                view[...] = p
            gamma[h0:h1] = g
            del p, g, lower_p
        trim_heap()
        gammas.append(gamma)
        probs.append(a)
        log.debug("phase: smoothing: order %d estimated", n)
    gammas.append(np.full(c.keys[-1].size, form.gamma_fill))
    return _finish(probs, gammas, form.info, form.default_backoff)


def _local_contexts(keys: np.ndarray, vocab_size: int) -> tuple[np.ndarray, int]:
    """Context of each row of a block counted from the block's first context, and how many contexts it spans."""
    h = keys // vocab_size  # (b,)
    h -= h[0]
    return h, int(h[-1]) + 1


# ---------------------------------------------------------------------- interpolated
def unigram_level(a: np.ndarray, discounts_of: DiscountsOf | None, vocab_size: int) -> np.ndarray:
    """Order 1 of the interpolated strategies: ``u + gamma0 / Vp`` from the unigram counts ``a`` (float64)."""
    if discounts_of is None:
        kept, mass, extra = a, (a > 0).astype(np.float64), True
    else:
        d = discounts_of(1, a)
        kept, mass, extra = a - d, d, False
    den1 = a.sum() + (mass.sum() if extra else 0.0)
    gamma0 = mass.sum() / den1 if den1 > 0 else 1.0
    out: np.ndarray = (kept / den1 if den1 > 0 else np.zeros_like(kept)) + gamma0 / _predictable(vocab_size)
    return out


def interpolated_form(adjusted: bool, discounts_of: DiscountsOf | None, vocab_size: int,
                      info: dict[str, Any]) -> BlockForm:
    """Interpolate every order with the next lower one down to the uniform distribution.

    With ``discounts_of`` (absolute, KN, modified KN): ``u = (a - d) / sum a`` and
    ``gamma = sum d / sum a`` per context. Without (Witten-Bell): ``u = a / (sum a + N1+)``
    and ``gamma = N1+ / (sum a + N1+)``. Then ``p_n = u + gamma(h) p_(n-1)(suffix)``, the
    counts becoming the probabilities in place.
    """
    V = vocab_size

    def block(n: int, ab: np.ndarray, keys: np.ndarray, lower_p: np.ndarray | None, bos: np.ndarray | None,
              ctx_bos: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        h, width = _local_contexts(keys, V)
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
        return ab, g

    return BlockForm(adjusted, lambda a: unigram_level(a, discounts_of, V), block, True, info)


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

    def _info(self) -> dict[str, Any]:
        return {"alpha": self._k}

    def block_form(self, count_of_counts: CountOfCounts, order: int, vocab_size: int) -> BlockForm:
        k, N, V = self._k, order, vocab_size
        Vp = _predictable(V)

        def unigrams(a: np.ndarray) -> np.ndarray:
            out: np.ndarray = (a + k) / (a.sum() + k * Vp) if N == 1 else np.full(a.size, 1.0 / Vp)
            return out

        def block(n: int, a: np.ndarray, keys: np.ndarray, lower_p: np.ndarray | None, bos: np.ndarray | None,
                  ctx_bos: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
            assert bos is not None and ctx_bos is not None  # needs_bos
            h, width = _local_contexts(keys, V)
            full = bos | (n == N)
            den = np.bincount(h[full], weights=a[full], minlength=width)
            norm = den[h] + k * Vp
            p = np.where(full, (a + k) / np.where(norm > 0, norm, 1.0), 1.0 / Vp)
            ctx_full = ctx_bos | (n == N)
            with np.errstate(divide="ignore", invalid="ignore"):
                bo = np.where(ctx_full & (den > 0), k * Vp / (den + k * Vp), 1.0)
            return p, bo

        return BlockForm(False, unigrams, block, False, self._info(), needs_bos=True)


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

    def block_form(self, count_of_counts: CountOfCounts, order: int, vocab_size: int) -> BlockForm:
        return _AddZero().block_form(count_of_counts, order, vocab_size)


@dataclass(frozen=True)
class _AddZero(Lidstone):
    alpha: float = 0.0

    def __post_init__(self) -> None:
        pass

    def _info(self) -> dict[str, Any]:
        return {}


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

    def block_form(self, count_of_counts: CountOfCounts, order: int, vocab_size: int) -> BlockForm:
        return interpolated_form(self.adjusted, lambda n, a: np.minimum(a, self.discount), vocab_size,
                                 {"discount": self.discount})


@register
@dataclass(frozen=True)
class KneserNey(AbsoluteDiscount):
    """Interpolated Kneser-Ney with one discount for every order.

    Like :class:`AbsoluteDiscount` but lower orders use continuation counts
    N1+(. w1..wn) (KenLM's adjusted counts; n-grams starting with ``<s>`` keep raw counts).
    """

    name: ClassVar[str] = "kneser-ney"
    adjusted: ClassVar[bool] = True


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
    adjusted: ClassVar[bool] = True

    def __post_init__(self) -> None:
        fb = tuple(self.fallback) if isinstance(self.fallback, list | tuple) else None
        if fb is None or len(fb) != 3 or not all(
                isinstance(x, int | float) and 0 <= x <= k for k, x in enumerate(fb, 1)):
            raise InvalidParameterError(f"ModifiedKneserNey: fallback must be 3 discounts with 0 <= D_k <= k, "
                                        f"got {self.fallback!r}.")
        object.__setattr__(self, "fallback", tuple(float(x) for x in fb))

    def discounts(self, counts: NGramCounts) -> list[tuple[float, float, float]]:
        """``(D1, D2, D3+)`` of every order, estimated (or fallen back) as described above."""
        return self._discounts(lambda n, k: count_of_counts(_adjusted_ints(counts, n), k), counts.order)

    def _discounts(self, count_of_counts: CountOfCounts, order: int) -> list[tuple[float, float, float]]:
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
                    "The corpus is probably too small for this order.", DegenerateFitWarning, stacklevel=6)
                ds = self.fallback
            out.append(ds)
        return out

    def block_form(self, count_of_counts: CountOfCounts, order: int, vocab_size: int) -> BlockForm:
        ds = self._discounts(count_of_counts, order)

        def discounts_of(n: int, a: np.ndarray) -> np.ndarray:
            D = ds[n - 1]
            out: np.ndarray = np.select([a == 0, a == 1, a == 2], [0.0, D[0], D[1]], D[2])
            return out

        return interpolated_form(True, discounts_of, vocab_size, {"discounts": [list(x) for x in ds]})


@register
@dataclass(frozen=True)
class WittenBell(Smoothing):
    """Interpolated Witten-Bell: ``p(w|h) = (c(h w) + N1+(h .) p(w|h')) / (c(h) + N1+(h .))``.

    Raw counts at every order; the unigram level interpolates with the uniform distribution.
    """

    name: ClassVar[str] = "witten-bell"

    def block_form(self, count_of_counts: CountOfCounts, order: int, vocab_size: int) -> BlockForm:
        return interpolated_form(False, None, vocab_size, {})


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

    def _discount_ratios(self, t: np.ndarray, n: int) -> np.ndarray:
        """``d_c`` for ``c = 1..cutoff`` from the count-of-counts ``t`` of order n (or the 0.5 fallback)."""
        K = self.cutoff
        t = t.astype(np.float64)
        c = np.arange(1, K + 1, dtype=np.float64)
        ok = bool((t[1:] > 0).all())
        if ok:
            A = (K + 1) * t[K + 1] / t[1]
            d = ((c + 1) * t[2:] / (c * t[1:K + 1]) - A) / (1 - A) if A < 1 else np.zeros(K)
            ok = bool(A < 1 and ((d > 0) & (d <= 1)).all())
        if not ok:
            warnings.warn(f"Good-Turing discounts of order {n} are undefined for these counts; "
                          "using absolute discounting by 0.5 there.", DegenerateFitWarning, stacklevel=6)
            d = (c - 0.5) / c
        return d

    def _discounted(self, a: np.ndarray, d: np.ndarray) -> np.ndarray:
        """``a`` times ``d_c`` where ``1 <= a <= cutoff`` (counts above it are kept)."""
        ratio = np.ones(a.size)
        small = (a >= 1) & (a <= self.cutoff)
        ratio[small] = d[a[small].astype(np.int64) - 1]
        out: np.ndarray = a * ratio
        return out

    def block_form(self, count_of_counts: CountOfCounts, order: int, vocab_size: int) -> BlockForm:
        V, Vp = vocab_size, _predictable(vocab_size)
        ratios = [self._discount_ratios(count_of_counts(n, self.cutoff + 1), n) for n in range(1, order + 1)]

        def unigrams(a: np.ndarray) -> np.ndarray:
            disc = self._discounted(a, ratios[0])
            total = a.sum()
            if disc.sum() >= total * (1 - 1e-12):  # every count above the cutoff: free 0.5 in total
                disc = disc * (1 - 0.5 / total)
            out: np.ndarray = disc / total + (1 - disc.sum() / total) / Vp
            return out

        def block(n: int, a: np.ndarray, keys: np.ndarray, lower_p: np.ndarray | None, bos: np.ndarray | None,
                  ctx_bos: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
            h, width = _local_contexts(keys, V)
            disc = self._discounted(a, ratios[n - 1])
            den = np.bincount(h, weights=a, minlength=width)
            safe = np.where(den > 0, den, 1.0)
            p = disc / safe[h]
            left = 1.0 - np.bincount(h, weights=p, minlength=width)
            lower = 1.0 - np.bincount(h, weights=lower_p, minlength=width)
            full = (den > 0) & (lower <= 1e-12)  # every word seen after h: renormalise instead
            p = np.where(full[h], p / np.where(full, 1 - left, 1.0)[h], p)
            # Contexts whose counts all exceed the cutoff keep no mass for unseen words; give
            # them an absolute discount of 0.5 on the total so that no word has probability 0.
            stuck = (den > 0) & ~full & (left <= 1e-12)
            p = np.where(stuck[h], p * (1 - 0.5 / safe)[h], p)
            left = np.where(stuck, 0.5 / safe, left)
            alpha = np.where((den > 0) & ~full, left / np.where(lower > 1e-12, lower, 1.0), 1.0)
            return p, np.maximum(alpha, 0.0)

        return BlockForm(False, unigrams, block, True, {"cutoff": self.cutoff})


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

    def block_form(self, count_of_counts: CountOfCounts, order: int, vocab_size: int) -> BlockForm:
        V, Vp, alpha = vocab_size, _predictable(vocab_size), self.alpha

        def unigrams(a: np.ndarray) -> np.ndarray:
            out: np.ndarray = (a + 1) / (a.sum() + Vp)
            return out

        def block(n: int, a: np.ndarray, keys: np.ndarray, lower_p: np.ndarray | None, bos: np.ndarray | None,
                  ctx_bos: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
            h, width = _local_contexts(keys, V)
            den = np.bincount(h, weights=a, minlength=width)
            return a / den[h], np.full(width, alpha)

        return BlockForm(False, unigrams, block, False, {"alpha": alpha}, gamma_fill=alpha,
                         default_backoff=math.log(alpha))


# ---------------------------------------------------------------------- by name
@register
@dataclass(frozen=True)
class FromARPA(Smoothing):
    """Marker for a model read from an ARPA file: its probabilities were estimated elsewhere."""

    name: ClassVar[str] = "arpa"

    def block_form(self, count_of_counts: CountOfCounts, order: int, vocab_size: int) -> BlockForm:
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
