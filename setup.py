"""Build-time mapping of the repository's top-level data into the package (the rest of the metadata is in
pyproject.toml): ``templates/`` -> ``generator/templates`` and ``data/`` -> ``generator/data``, so the wheel carries
everything mkbench reads at run time while the repository keeps its layout. ``generator.resources`` finds them in
either place."""
from setuptools import find_packages, setup

DATA = {"generator.templates": "templates", "generator.data": "data"}

setup(
    packages=find_packages(include=["generator", "generator.*"]) + list(DATA),
    package_dir=DATA,
    # everything under the folders, hidden folders too (the demo dataset's part masks are in dataset/.masks)
    package_data={"generator": ["presets/*.yaml"], **{pkg: ["**/*", "**/.*/**/*"] for pkg in DATA}},
    exclude_package_data={pkg: ["**/__pycache__/*", "**/*.pyc"] for pkg in DATA},
)
