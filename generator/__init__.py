"""mkbench: mutual-knowledge explanations of CLIP zero-shot classification, published as a static site.

Implements Sammani & Deligiannis, "Interpreting and Analysing CLIP's Zero-Shot Image Classification via
Mutual Knowledge" (NeurIPS 2024). The library (``generator.method``) is kept apart from its runners
(``generator.runner``) and from the website (``generator.report``).
"""

__version__ = "0.1.0"
