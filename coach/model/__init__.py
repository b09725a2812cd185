"""coach's classifier: features, training, the model on disk, prediction.

Used by the analyzer beside the rule engine (rules for exact spans and rewrites, the
model for the wording no rule list can enumerate); it never imports the engine's
matchers, the CLI or the renderers. Training needs scikit-learn (`coach-cs[train]`);
prediction needs only numpy.
"""
