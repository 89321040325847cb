"""The paper's method, one module per step, in pipeline order (spec §2).

text -> features -> foreground -> parts -> prompts -> grounding -> language -> mutual_information,
composed per class batch by :mod:`generator.method.explain`. Modules here know nothing of files,
suites or executors: tensors/arrays in, arrays and dataclasses out.
"""
