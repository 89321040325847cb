"""Controllers: work units keyed by hashes, shard files, the resumable compute loop, merge, overlays.

Data flow: request -> units (model, dataset, class) -> ``method.explain`` per class batch -> shard file
(atomic) -> merge -> ``OUT/<dataset>/<model-id>/{images.jsonl, classes.json, summary.json}``.
"""
