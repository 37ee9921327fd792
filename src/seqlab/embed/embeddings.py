"""``Embeddings``: the query object for word vectors, kept apart from the trainer (gensim's split).

Holds ordinary words only (no ``<pad>``/``<unk>``/``<s>``/``</s>``), so specials never show up
in similarity results. Row ``i`` is word ``index_to_key[i]``; rows are most frequent first when
the vectors come from :class:`~seqlab.embed.Word2Vec` or a frequency-sorted word2vec file.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

from seqlab import io
from seqlab.data import SPECIALS, Vocabulary
from seqlab.exceptions import DataError, FormatError, InvalidParameterError
from seqlab.plotting import pyplot

WordOrVector = str | np.ndarray


class UnknownWordError(DataError, KeyError):
    """A query word is not in the embeddings' vocabulary."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@io.register
class Embeddings:
    """Word vectors with similarity queries, analogies, evaluation and interop.

    Parameters
    ----------
    keys : sequence of str
        The words, one per row of ``vectors``; unique.
    vectors : array-like of shape (V, D)
        Stored as float32.
    counts : sequence of int, optional
        Corpus frequency of each word (kept for reporting and for exports).

    Examples
    --------
    >>> import numpy as np
    >>> emb = Embeddings(["king", "queen", "man", "woman"],
    ...                  np.array([[1, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1]]))
    >>> emb.analogy("man", "king", "woman")   # king - man + woman
    'queen'
    """

    def __init__(self, keys: Sequence[str], vectors: Any, *, counts: Sequence[int] | None = None) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        keys = list(keys)
        if vectors.ndim != 2 or vectors.shape[0] != len(keys):
            raise DataError(f"vectors must have shape (len(keys), D) = ({len(keys)}, D); got {vectors.shape}.")
        self.index_to_key: list[str] = keys
        self.key_to_index: dict[str, int] = {k: i for i, k in enumerate(keys)}
        if len(self.key_to_index) != len(keys):
            raise DataError("Embeddings keys must be unique.")
        self.vectors: np.ndarray = vectors
        self.counts: list[int] | None = None if counts is None else [int(c) for c in counts]
        self._unit: np.ndarray | None = None

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.index_to_key)

    def __repr__(self) -> str:
        return f"Embeddings(words={len(self)}, vector_size={self.vector_size})"

    @property
    def vector_size(self) -> int:
        """Dimension ``D`` of the vectors."""
        return int(self.vectors.shape[1])

    def index(self, word: str) -> int:
        """Row of ``word``; an unknown word raises an error that suggests close spellings."""
        try:
            return self.key_to_index[word]
        except KeyError:
            pass
        except TypeError:
            raise InvalidParameterError(f"A query word must be a str, got {type(word).__name__}.") from None
        folded = str(word).casefold()
        close = [k for k in self.index_to_key[:100_000] if k.casefold() == folded][:1]
        close += [k for k in difflib.get_close_matches(str(word), self.index_to_key, n=3, cutoff=0.6) if k not in close]
        close = close[:3]
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else "; check the spelling or case."
        raise UnknownWordError(f"Word {word!r} is not in the vocabulary ({len(self)} words){hint}")

    def __getitem__(self, word: str | Sequence[str]) -> np.ndarray:
        """The vector of ``word`` (shape (D,)), or of a list of words (shape (n, D))."""
        if isinstance(word, str):
            return np.asarray(self.vectors[self.index(word)])
        return np.asarray(self.vectors[[self.index(w) for w in word]])

    @property
    def unit_vectors(self) -> np.ndarray:
        """Vectors scaled to unit length, computed once and cached (zero rows stay zero)."""
        if self._unit is None:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            self._unit = (self.vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        return self._unit

    @property
    def vocabulary(self) -> Vocabulary:
        """A seqlab :class:`~seqlab.data.Vocabulary` of these words (specials take ids 0-3)."""
        return Vocabulary([k for k in self.index_to_key if k not in SPECIALS], self.counts)

    # ------------------------------------------------------------------ similarity queries
    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of two words."""
        u = self.unit_vectors
        return float(u[self.index(word1)] @ u[self.index(word2)])

    def _unit_query(self, item: WordOrVector) -> tuple[np.ndarray, int | None]:
        if isinstance(item, str):
            i = self.index(item)
            return self.unit_vectors[i], i
        vec = np.asarray(item, dtype=np.float32)
        if vec.shape != (self.vector_size,):
            raise InvalidParameterError(f"A query vector must have shape ({self.vector_size},), got {vec.shape}.")
        norm = float(np.linalg.norm(vec))
        return (vec / norm if norm > 0 else vec), None

    def most_similar(self, positive: WordOrVector | Sequence[WordOrVector] = (),
                     negative: WordOrVector | Sequence[WordOrVector] = (), topn: int = 10, *,
                     method: str = "3cosadd", restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Words closest to ``sum(positive) - sum(negative)``, input words excluded.

        Parameters
        ----------
        positive, negative : word, vector, or list of them
        topn : int, default=10
        method : {"3cosadd", "3cosmul"}, default="3cosadd"
            3CosAdd ranks by ``cos(x, sum of unit positives - sum of unit negatives)``;
            3CosMul (Levy & Goldberg, 2014) by ``prod pos_sim / (prod neg_sim + 1e-6)`` with
            cosines shifted to [0, 1], as gensim's ``most_similar_cosmul``.
        restrict_vocab : int, optional
            Search only the first ``restrict_vocab`` (most frequent) words.

        Returns
        -------
        list of (word, score), best first
        """
        pos = [positive] if isinstance(positive, str | np.ndarray) else list(positive)
        neg = [negative] if isinstance(negative, str | np.ndarray) else list(negative)
        if not pos and not neg:
            raise InvalidParameterError("most_similar needs at least one positive or negative word.")
        if method not in ("3cosadd", "3cosmul"):
            raise InvalidParameterError(f"method must be '3cosadd' or '3cosmul', got {method!r}.")
        if not isinstance(topn, int) or topn < 1:
            raise InvalidParameterError(f"topn must be an int >= 1, got {topn!r}.")
        pq = [self._unit_query(p) for p in pos]
        nq = [self._unit_query(n) for n in neg]
        exclude = {i for _, i in pq + nq if i is not None}
        units = self.unit_vectors[:restrict_vocab] if restrict_vocab else self.unit_vectors
        if method == "3cosadd":
            query = np.sum([v for v, _ in pq], axis=0) - (np.sum([v for v, _ in nq], axis=0) if nq else 0.0)
            norm = float(np.linalg.norm(query))
            scores = units @ (query / norm if norm > 0 else query)
        else:
            scores = np.ones(len(units), np.float32)
            for v, _ in pq:
                scores = scores * (1.0 + units @ v) / 2.0
            den = np.ones(len(units), np.float32)
            for v, _ in nq:
                den = den * (1.0 + units @ v) / 2.0
            scores = scores / (den + 1e-6) if nq else scores
        return self._top(scores, topn, exclude)

    def _top(self, scores: np.ndarray, topn: int, exclude: set[int]) -> list[tuple[str, float]]:
        k = min(len(scores), topn + len(exclude))
        best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.index_to_key[i], float(scores[i])) for i in best if i not in exclude][:topn]

    def similar_by_vector(self, vector: np.ndarray, topn: int = 10, *,
                          restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Words closest (cosine) to a raw vector; nothing is excluded."""
        return self.most_similar([np.asarray(vector)], topn=topn, restrict_vocab=restrict_vocab)

    def analogy(self, a: str, b: str, c: str, *, method: str = "3cosadd") -> str:
        """Answer "``a`` is to ``b`` as ``c`` is to ?": the best word for ``b - a + c``.

        ``analogy("man", "king", "woman")`` should give ``"queen"``.
        """
        return self.most_similar([b, c], [a], topn=1, method=method)[0][0]

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word furthest from the mean of the unit vectors of ``words``."""
        if isinstance(words, str) or len(words) < 2:
            raise InvalidParameterError("doesnt_match needs a list of at least two words.")
        units = self.unit_vectors[[self.index(w) for w in words]]
        mean = units.mean(axis=0)
        return words[int(np.argmin(units @ mean))]

    # ------------------------------------------------------------------ evaluation
    def evaluate_analogies(self, path: str | os.PathLike[str], restrict_vocab: int = 30000, *,
                           case_insensitive: bool = True, method: str = "3cosadd") -> dict[str, Any]:
        """Accuracy on analogy questions in the ``questions-words.txt`` format.

        Same semantics as gensim's ``evaluate_word_analogies``: only the ``restrict_vocab`` most
        frequent words are searched, a question is *covered* when its four words are among them
        (others are skipped), the three question words are excluded from the answers, and
        words are compared upper-cased when ``case_insensitive``.

        Returns
        -------
        dict
            ``accuracy`` (correct / covered), ``coverage`` (covered / all questions),
            ``correct``, ``covered``, ``questions`` and ``sections``: one dict per section
            with ``section``, ``correct``, ``covered``, ``questions``, ``accuracy``.
        """
        from seqlab.embed.evaluation import evaluate_analogies

        return evaluate_analogies(self, path, restrict_vocab, case_insensitive=case_insensitive, method=method)

    def evaluate_similarity(self, path: str | os.PathLike[str], restrict_vocab: int = 300000, *,
                            case_insensitive: bool = True) -> dict[str, Any]:
        """Spearman and Pearson correlation with human judgements (``wordsim353.tsv`` format).

        Same semantics as gensim's ``evaluate_word_pairs``: tab-separated ``word1 word2 score``
        lines, ``#`` comments skipped, pairs with a word outside the first ``restrict_vocab``
        words skipped. Returns ``spearman``, ``pearson``, ``coverage``, ``pairs``, ``covered``.
        """
        from seqlab.embed.evaluation import evaluate_similarity

        return evaluate_similarity(self, path, restrict_vocab, case_insensitive=case_insensitive)

    # ------------------------------------------------------------------ interop
    def save_word2vec_format(self, path: str | os.PathLike[str], *, binary: bool = False) -> Path:
        """Write the word2vec text (default) or binary format, readable by gensim and word2vec.c."""
        from seqlab.embed.formats import write_word2vec

        return write_word2vec(path, self.index_to_key, self.vectors, binary=binary)

    @classmethod
    def load_word2vec_format(cls, path: str | os.PathLike[str], *, binary: bool | None = None,
                             limit: int | None = None) -> Self:
        """Read a word2vec text or binary file (``binary=None`` guesses from the content)."""
        from seqlab.embed.formats import read_word2vec

        keys, vectors = read_word2vec(path, binary=binary, limit=limit)
        return cls(keys, vectors)

    def to_torch(self, vocabulary: Vocabulary | None = None, *, freeze: bool = True, seed: int = 0) -> Any:
        """A ``torch.nn.Embedding`` whose row ``i`` is the vector of ``vocabulary`` token ``i``.

        Parameters
        ----------
        vocabulary : Vocabulary, optional
            The ids to align to (default: :attr:`vocabulary`, i.e. specials then these words).
        freeze : bool, default=True
            Frozen weights (``requires_grad=False``) or a trainable initialisation.
        seed : int, default=0
            Seeds the rows of tokens that have no vector.

        Notes
        -----
        Rows of tokens without a vector: ``<pad>`` (id 0, also ``padding_idx``) is all zeros;
        every other missing token, ``<unk>``, ``<s>`` and ``</s>`` included, is drawn from
        ``N(0, s^2)`` with ``s`` the standard deviation of all the known vectors' entries, so
        it has the same scale as a trained vector.
        """
        import torch

        vocab = self.vocabulary if vocabulary is None else vocabulary
        rng = np.random.default_rng(seed)
        scale = float(self.vectors.std()) or 1.0
        weight = rng.normal(0.0, scale, size=(len(vocab), self.vector_size)).astype(np.float32)
        weight[0] = 0.0
        rows = np.array([self.key_to_index.get(t, -1) for t in vocab.itos])
        hit = rows >= 0
        weight[hit] = self.vectors[rows[hit]]
        return torch.nn.Embedding.from_pretrained(  # type: ignore[no-untyped-call]
            torch.from_numpy(weight), freeze=freeze, padding_idx=0)

    # ------------------------------------------------------------------ projection and plot
    def project_2d(self, words: Sequence[str]) -> np.ndarray:
        """2-D PCA coordinates (numpy SVD of the centred vectors) of ``words``, shape (n, 2)."""
        x = self[list(words)].astype(np.float64)
        if len(x) < 2:
            raise InvalidParameterError("project_2d needs at least two words.")
        x = x - x.mean(axis=0)
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        out = x @ vt[:2].T
        return np.pad(out, ((0, 0), (0, 2 - out.shape[1]))) if out.shape[1] < 2 else out

    def plot(self, words: Sequence[str], *, path: str | os.PathLike[str] | None = None, ax: Any = None,
             arrows: Iterable[tuple[str, str]] = ()) -> Any:
        """Scatter ``words`` on their 2-D PCA projection (matplotlib, imported lazily).

        ``arrows`` draws offsets such as ``[("man", "woman"), ("king", "queen")]``: the
        "feminine vector" figure of the word2vec papers. Saved to ``path`` when given.
        """
        plt = pyplot(headless=ax is None and path is not None)

        words = list(words)
        xy = self.project_2d(words)
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 5))
        ax.scatter(xy[:, 0], xy[:, 1], s=12)
        pos = {w: xy[i] for i, w in enumerate(words)}
        for w, (x, y) in pos.items():
            ax.annotate(w, (x, y), textcoords="offset points", xytext=(3, 3))
        for a, b in arrows:
            if a in pos and b in pos:
                ax.annotate("", pos[b], pos[a], arrowprops={"arrowstyle": "->", "color": "tab:red"})
        ax.set_title("word vectors, first two principal components")
        if path is not None:
            ax.figure.savefig(path, dpi=120, bbox_inches="tight")
        return ax

    # ------------------------------------------------------------------ seqlab format
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """No hyperparameters: an ``Embeddings`` is data (needed by :mod:`seqlab.io`)."""
        return {}

    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return ({"keys": self.index_to_key, "counts": self.counts,
                 "summary": {"words": len(self), "vector_size": self.vector_size}},
                {"vectors": self.vectors})

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        return cls(state["keys"], arrays["vectors"], counts=state.get("counts"))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save as a seqlab model directory (manifest.json + safetensors; atomic)."""
        return io.save(self, Path(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """Load an ``Embeddings`` (or the vectors of a saved ``Word2Vec``) from a model directory."""
        obj = io.load(Path(path))
        if isinstance(obj, cls):
            return obj
        if hasattr(obj, "wv"):
            return obj.wv  # type: ignore[no-any-return]
        raise FormatError(f"{path} holds a {type(obj).__name__}, not word embeddings.")
