"""The embedded default: a synthetic world with ground-truth parts, and a family of small CLIP models trained on it.

Modules (in dependency order):

* :mod:`.shapes`   rasterising primitives and textures (numpy);
* :mod:`.world`    12 classes built from named parts (shared parts, same-colour parts, parts >= 2 patches;
                   world 2: part colours drawn per image from named palettes, optional parts; world 3, shipped:
                   two-colour part patterns named in captions, colours shared within an image, shading, clutter);
* :mod:`.render`   one image + per-pixel part mask, deterministic from ``rng_for(stream, seed, index)``;
* :mod:`.captions` training texts (class + 0-3 coloured part phrases; parts without the class; one part's phrase)
                   and the zero-shot templates (unseen wording);
* :mod:`.pool`     descriptor pool (class -> descriptors, LLM-pool format), descriptor -> parts, ``parts.json``;
* :mod:`.dataset`  dataset-with-masks writer and readers;
* :mod:`.train`    contrastive training of an open_clip model from a config JSON (CPU, fp32, fixed steps;
                   captions, part-only captions and prompted-part pairs);
* :mod:`.ship`     train + fp16 safetensors + reload by open_clip + held-out accuracy + model card;
* :mod:`.family`   the shipped family (``data/demo/models``) and :func:`~.family.shipped_models`.

Streams: images are drawn from independent streams ``train`` (training pools), ``heldout`` (model-card accuracy) and
``dataset`` (the ``demo`` dataset and ``make-demo-dataset``), so evaluation images are never training images.

Dataset-with-masks format (``mkbench-part-masks/1``)
----------------------------------------------------
::

    <dataset>/<class folder>/<stem>.png        images (the only non-hidden sub-folders: the classes)
    <dataset>/classnames.json                  {class folder: class name}
    <dataset>/.masks/<class folder>/<stem>.png single-channel uint8 PNG, same size as the image:
                                               0 = background (incl. distractor shapes), k > 0 = part k
    <dataset>/.masks/parts.json                {"format": "mkbench-part-masks/1", "background": 0,
                                                "image_size": 64, "patch_size": 8,
                                                "parts": {"1": "wall", "2": "roof", ...},
                                                "classes": {"house": {"folder": "house", "parts": [...]}, ...},
                                                "shared_parts": {"wheel": ["car", "bus"], ...},
                                                "descriptors": {"round black wheels": ["wheel"], ...}}

The masks live in a dot-folder inside the dataset, so the dataset registry (which skips hidden folders) sees only
the class folders, and a dataset stays one folder (atomic rename, copying). The mask of image
``<dataset>/<folder>/<stem>.<ext>`` is ``<dataset>/.masks/<folder>/<stem>.png``
(:func:`generator.demo.dataset.mask_path`); resize masks with nearest neighbour only.
"""
