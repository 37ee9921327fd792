"""Sequence classification with class-conditional language models (the Markov-chain Bayes classifier).

Fit one language model per class, then classify a sequence by Bayes' rule,
``p(c | x) ∝ p(x | c) p(c)``, in log space (documents 000, slides 23-27, and 002). Any
:class:`~seqlab.protocols.LanguageModel` can be the class model; an order-1 n-gram model is
naive Bayes, higher orders are Markov chains of order ``order - 1``.

Tutorial
--------
Tokenise the texts yourself (or let ``seqlab classify train --tokenizer`` do it), then fit:

>>> from seqlab.classify import BayesSequenceClassifier
>>> from seqlab.data import get_tokenizer
>>> from seqlab.ngram import Lidstone, NGramLM
>>> tok = get_tokenizer("word", lowercase=True)
>>> texts = ["Win cash now!", "Claim your cash prize", "Lunch at noon?", "See you at lunch"]
>>> labels = ["spam", "spam", "ham", "ham"]
>>> clf = BayesSequenceClassifier(lm=NGramLM(order=2, smoothing=Lidstone(0.1)))
>>> clf = clf.fit([tok(t) for t in texts], labels)
>>> clf.classes_.tolist()
['ham', 'spam']
>>> clf.predict([tok("cash prize now")]).tolist()
['spam']
>>> bool(abs(clf.predict_proba([tok("see you at noon")]).sum() - 1) < 1e-12)
True

Multinomial naive Bayes is the order-1 special case with unknown words dropped and no
sequence boundaries: ``BayesSequenceClassifier(lm=NGramLM(order=1, smoothing=Lidstone(1.0)),
oov="ignore", boundaries=False)`` gives scikit-learn's ``MultinomialNB(alpha=1.0)`` posteriors.

The classifier follows scikit-learn's contract (``fit``, ``predict``, ``predict_proba``,
``predict_log_proba``, ``score``, ``classes_``) and works in ``cross_val_score`` and
``GridSearchCV`` (``param_grid={"lm__order": [1, 2, 3]}``); save it with ``clf.save(dir)``.
Metrics and stratified splits are in :mod:`seqlab.evaluate`.
"""

from seqlab.classify.bayes import BayesSequenceClassifier, default_lm

__all__ = ["BayesSequenceClassifier", "default_lm"]
