"""Choose the classifier by measurement: candidates trained on the training files, their
thresholds chosen on a validation part (20%) of the training files only, then scored
once on the test file (rules alone, model alone, rules + model).

    python3 bench/model_select.py --train data/labeled/train.jsonl \
        tests/data/eval/holdout.jsonl tests/data/eval/holdout2.jsonl --split tune \
        --test data/labeled/test.jsonl [--only coach-sentence,tfidf-word-char]

Candidates:
- coach-sentence: coach's own model (hashed word 1-2-grams on NORM, one logistic
  regression per label, trained on sentences labeled from the spans; a reply gets a
  label when one of its sentences does). What `coach train` builds.
- coach-reply: the same features and model over whole replies.
- tfidf-word-char: scikit-learn TfidfVectorizer word 1-2-grams + char_wb 2-5-grams,
  logistic regression per label, over whole replies (the reference the issue names).
Every candidate runs beside the rules as coach does: per label a gate (a rule's label
stands where the model gives the reply at least it) and a threshold (the model adds
replies at or above it), both chosen on the validation part. The choice is made on the
validation score (optimistic alike for every candidate); the test score is reported,
not chosen on.
- spacy-bow / spacy-ensemble: spaCy's textcat_multilabel (TextCatBOW.v3 with bigrams;
  TextCatEnsemble.v2 with a fresh tok2vec), trained 15 epochs over whole replies.
Needs scikit-learn (pip install "coach-cs[train]").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coach.analyzer import Analyzer  # noqa: E402
from coach.evaluate import LABELS, read_items  # noqa: E402
from coach.model.train import LabelReport, best_gate, best_threshold  # noqa: E402


def validation_part(item_id: str) -> bool:
    return int(hashlib.sha256(f"val:{item_id}".encode()).hexdigest()[:8], 16) % 5 == 0


def f1(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    tp, fp, fn = int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum())
    return LabelReport.prf((tp, fp, fn))


# -- candidates: fit(items) -> predict(items) -> (n_items x n_labels) probabilities --------
def coach_candidate(whole: bool):
    from scipy.sparse import csr_matrix

    from coach.engine.nlp import get_nlp
    from coach.engine.normalize import normalize
    from coach.model.features import SentenceSplitter
    from coach.model.train import _fit, _matrix, prepare

    def fit(items):
        if whole:
            return reply_level(items)
        prepared = prepare(items, LABELS)
        models = {}
        for j, label in enumerate(LABELS):
            y = prepared.y[:, j]
            if (y == 1).sum() < 2:
                continue
            models[label] = _fit(prepared.x[y >= 0], y[y >= 0], 4.0, 0)
        return lambda test: sentence_predict(test, prepared.vocabulary, models)

    def featurize(items, vocabulary=None, whole_reply=False):
        nlp = get_nlp()
        docs = list(nlp.tokenizer.pipe([normalize(i.text).text for i in items]))
        sents = SentenceSplitter(nlp.vocab.strings).split(docs, whole=whole_reply)
        if vocabulary is None:
            from coach.model.train import _vocabulary

            vocabulary = _vocabulary(sents, 2)
        return sents, _matrix(sents, vocabulary, csr_matrix), vocabulary

    def sentence_predict(test, vocabulary, models):
        sents, x, _ = featurize(test, vocabulary)
        out = np.zeros((len(test), len(LABELS)))
        for j, label in enumerate(LABELS):
            if label in models:
                p = models[label].predict_proba(x)[:, 1]
                np.maximum.at(out[:, j], sents.doc, p)
        return out

    def reply_level(items):
        sents, x, vocabulary = featurize(items, whole_reply=True)
        y = np.array([[label in i.labels for label in LABELS] for i in items])[sents.doc]
        models = {label: _fit(x, y[:, j].astype(int), 4.0, 0) for j, label in enumerate(LABELS) if y[:, j].sum() >= 2}

        def predict(test):
            s, xt, _ = featurize(test, vocabulary, whole_reply=True)
            out = np.zeros((len(test), len(LABELS)))
            for j, label in enumerate(LABELS):
                if label in models:
                    out[s.doc, j] = models[label].predict_proba(xt)[:, 1]
            return out

        return predict

    return fit


def tfidf_candidate(items):
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
    texts = [i.text for i in items]
    x = hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    models = {}
    for label in LABELS:
        y = np.array([label in i.labels for i in items])
        if y.sum() >= 2:
            models[label] = LogisticRegression(C=8.0, solver="liblinear", class_weight="balanced").fit(x, y)

    def predict(test):
        t = [i.text for i in test]
        xt = hstack([words.transform(t), chars.transform(t)]).tocsr()
        out = np.zeros((len(test), len(LABELS)))
        for j, label in enumerate(LABELS):
            if label in models:
                out[:, j] = models[label].predict_proba(xt)[:, 1]
        return out

    return predict


SPACY_BOW = """
[model]
@architectures = "spacy.TextCatBOW.v3"
exclusive_classes = false
ngram_size = 2
no_output_layer = false
"""
SPACY_ENSEMBLE = """
[model]
@architectures = "spacy.TextCatEnsemble.v2"
nO = null

[model.linear_model]
@architectures = "spacy.TextCatBOW.v3"
exclusive_classes = false
ngram_size = 1
no_output_layer = false

[model.tok2vec]
@architectures = "spacy.Tok2Vec.v2"

[model.tok2vec.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = 64
rows = [2000, 2000, 500, 1000, 500]
attrs = ["NORM", "LOWER", "PREFIX", "SUFFIX", "SHAPE"]
include_static_vectors = false

[model.tok2vec.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = 64
window_size = 1
maxout_pieces = 3
depth = 2
"""


def spacy_candidate(config_text: str, epochs: int = 15):
    def fit(items):
        import random

        import spacy
        from spacy.training import Example
        from thinc.api import Config

        random.seed(0)
        spacy.util.fix_random_seed(0)
        nlp = spacy.blank("en")
        textcat = nlp.add_pipe("textcat_multilabel", config=Config().from_str(config_text))
        for label in LABELS:
            textcat.add_label(label)
        examples = [
            Example.from_dict(nlp.make_doc(i.text), {"cats": {label: float(label in i.labels) for label in LABELS}})
            for i in items
        ]
        optimizer = nlp.initialize(lambda: examples)
        for _ in range(epochs):
            random.shuffle(examples)
            for batch in spacy.util.minibatch(examples, size=16):
                nlp.update(batch, sgd=optimizer, drop=0.2)

        def predict(test):
            docs = nlp.pipe([i.text for i in test])
            return np.array([[d.cats[label] for label in LABELS] for d in docs])

        return predict

    return fit


CANDIDATES = {
    "coach-sentence": lambda: coach_candidate(False),
    "coach-reply": lambda: coach_candidate(True),
    "tfidf-word-char": lambda: tfidf_candidate,
    "spacy-bow": lambda: spacy_candidate(SPACY_BOW),
    "spacy-ensemble": lambda: spacy_candidate(SPACY_ENSEMBLE),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", nargs="+", required=True)
    ap.add_argument("--split", default="all")
    ap.add_argument("--test", nargs="+", required=True)
    ap.add_argument("--only", default=",".join(CANDIDATES))
    ap.add_argument("--json", help="write the results here too")
    args = ap.parse_args()
    train = [i for p in args.train for i in read_items(p, args.split)]
    test = [i for p in args.test for i in read_items(p)]
    fit_part = [i for i in train if not validation_part(i.id)]
    val_part = [i for i in train if validation_part(i.id)]
    rules = Analyzer(model=False)

    def rule_matrix(items):
        found = [{f.label for f in s.rules} for s in rules.findings_by_source(i.text for i in items)]
        return np.array([[label in f for label in LABELS] for f in found])

    def truth(items):
        return np.array([[label in i.labels for label in LABELS] for i in items])

    r_val, r_test, t_val, t_test = rule_matrix(val_part), rule_matrix(test), truth(val_part), truth(test)
    print(f"train {len(train)} (fit {len(fit_part)}, validation {len(val_part)}), test {len(test)}")
    results = {}
    for name in args.only.split(","):
        started = time.time()
        fit = CANDIDATES[name]()
        p_val = fit(fit_part)(val_part)
        # Per label a gate (a rule's label stands where the model gives the reply at least
        # it) and a threshold (the model adds replies at or above it), as coach runs them.
        chosen = [
            best_gate(p_val[:, j], t_val[:, j], np.where(r_val[:, j], p_val[:, j], -1.0))[:2]
            for j in range(len(LABELS))
        ]
        gates = [g for g, _ in chosen]
        thresholds = [t for _, t in chosen]
        alone = [
            best_threshold(p_val[:, j], t_val[:, j], np.zeros(len(val_part), dtype=bool))[0] for j in range(len(LABELS))
        ]

        def both(p, r, j):  # called only within this iteration, so the loop's gates are current
            return (r[:, j] & (p[:, j] >= gates[j])) | (p[:, j] >= thresholds[j])  # noqa: B023

        val_both = [f1(both(p_val, r_val, j), t_val[:, j])[2] for j in range(len(LABELS)) if t_val[:, j].sum() >= 5]
        p_test = fit(train)(test)
        rows = {}
        for j, label in enumerate(LABELS):
            model = p_test[:, j] >= alone[j]  # the model alone, at its own best threshold
            rows[label] = {
                "support": int(t_test[:, j].sum()),
                "rules": f1(r_test[:, j], t_test[:, j]),
                "model": f1(model, t_test[:, j]),
                "both": f1(both(p_test, r_test, j), t_test[:, j]),
            }
        macro = {
            v: float(np.mean([rows[k][v][2] for k in LABELS if rows[k]["support"] >= 15]))
            for v in ("rules", "model", "both")
        }
        results[name] = {
            "labels": rows,
            "macro_f1_support15": macro,
            "validation_macro_f1_both": float(np.mean(val_both)),
            "seconds": round(time.time() - started, 1),
        }
        print(
            f"\n{name} ({results[name]['seconds']} s): validation macro F1 (both) {np.mean(val_both):.3f}; "
            f"test macro F1 (labels with support >= 15) "
            f"rules {macro['rules']:.3f} model {macro['model']:.3f} both {macro['both']:.3f}"
        )
        print(f"  {'label':<15}{'n':>5}  {'rules F1':>9}{'model P':>9}{'R':>6}{'F1':>6}{'both P':>8}{'R':>6}{'F1':>6}")
        for label, r in rows.items():
            print(
                f"  {label:<15}{r['support']:>5}  {r['rules'][2]:>9.2f}{r['model'][0]:>9.2f}{r['model'][1]:>6.2f}"
                f"{r['model'][2]:>6.2f}{r['both'][0]:>8.2f}{r['both'][1]:>6.2f}{r['both'][2]:>6.2f}"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
