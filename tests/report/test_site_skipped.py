"""Images a run skipped (unreadable) are listed on their class page, escaped (issue 10 item 3: "count, paths and
reason in the results, on the class page and in the run report")."""
from __future__ import annotations

from generator.method.config import MethodConfig
from generator.report.site import SiteOptions, build_site
from generator.runner.compute import ComputeRequest, compute
from tests.fixtures.images import make_descriptor_pool, make_image_folder
from tests.fixtures.tiny import tiny_config_path

FAST = MethodConfig(methods=("pca",), n_parts=3, kmeans_iter_limit=30, sinkhorn_iters=50, initial_topk=40,
                    language_topk=20)


def test_the_class_page_lists_skipped_images_with_their_reason_escaped(tmp_path):
    root = make_image_folder(tmp_path / "d", classes=(("circle", "red"), ("square", "green")), per_class=2, size=32)
    (root / "red_circle" / "<script>x.png").write_bytes(b"")                 # empty file, hostile name
    pool = make_descriptor_pool(tmp_path / "pool.json")
    compute(ComputeRequest(dataset_dir=root, descriptors=pool, out=tmp_path / "res", model_config=str(
        tiny_config_path("vit")), pretrained="none", device="cpu", method=FAST, overlays_per_class=0, evaluations=False))
    report = build_site(SiteOptions(results=tmp_path / "res", out=tmp_path / "site", staging=tmp_path / "staging",
                                    n_boot=50, search=False, static_charts="none"))
    pages = {p.name: p.read_text() for p in report.site_dir.rglob("*.html") if "/classes/" in str(p)}
    red = next(t for n, t in pages.items() if "red" in n)
    green = next(t for n, t in pages.items() if "green" in n)
    assert "Images left out" in red and "Images left out" not in green
    assert "&lt;script&gt;x.png" in red and "<script>x.png" not in red
    assert "empty file" in red
