"""Word embeddings: Word2Vec (skip-gram, CBOW; negative sampling, hierarchical softmax).

Train on a list of token lists (or a file path, streamed from disk each epoch), then query the
:class:`Embeddings` object, kept apart from the trainer as in gensim:

>>> from seqlab.embed import Word2Vec
>>> corpus = [["the", "king", "rules", "the", "land"],
...           ["the", "queen", "rules", "the", "land"]] * 100
>>> model = Word2Vec(vector_size=16, window=2, min_count=1, epochs=3, workers=1, seed=1).fit(corpus)
>>> wv = model.wv
>>> wv["king"].shape
(16,)
>>> "knig" in wv
False
>>> [w for w, _ in wv.most_similar("king", topn=2)]  # doctest: +SKIP
['queen', 'rules']

Continue training on more text with ``model.train(more_corpus)``; save with ``model.save(dir)``
(manifest + safetensors, never pickle) and load with ``seqlab.io.load(dir)``. Exchange vectors
with gensim and word2vec.c through ``wv.save_word2vec_format(path, binary=True)`` and
``Embeddings.load_word2vec_format(path)``; feed them to a torch model with
``wv.to_torch(vocabulary)``. Evaluate with ``wv.evaluate_analogies("questions-words.txt")`` and
``wv.evaluate_similarity("wordsim353.tsv")``.
"""

from seqlab.embed.embeddings import Embeddings, UnknownWordError
from seqlab.embed.formats import read_word2vec, write_word2vec
from seqlab.embed.word2vec import Word2Vec

__all__ = ["Embeddings", "UnknownWordError", "Word2Vec", "read_word2vec", "write_word2vec"]
