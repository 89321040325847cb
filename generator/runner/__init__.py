"""Controllers, one module per step of the data path (each imports only the steps before it and the shared types of
:mod:`generator.runner.types`):

suite -> :mod:`~generator.runner.resolve` (frozen :class:`generator.suite.PairSpec` s, once) ->
:mod:`~generator.runner.plan` (pure: work units keyed by hashes) -> :mod:`~generator.runner.executors` running
:mod:`~generator.runner.work` (``method.explain`` per class batch -> shard file, atomic) ->
:mod:`~generator.runner.merge` -> ``OUT/<dataset>/<model-id>/{images.jsonl, classes.json, summary.json}``.
:mod:`~generator.runner.orchestrate` runs a suite through them; :mod:`~generator.runner.compute` one pair.
"""
