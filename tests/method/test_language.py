"""Language side: top-u descriptors per class (spec §2.4)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from generator.method.language import language_concepts, weight_dissection


def test_hand_made_embeddings():
    # 2 classes, 4 descriptors in 3-D
    classes = F.normalize(torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), dim=1)
    descs = F.normalize(torch.tensor([[0.2, 1.0, 0.0],    # class 1's best
                                      [1.0, 0.1, 0.0],    # class 0's best
                                      [0.5, 0.5, 0.7],
                                      [0.7, 0.0, 0.7]]), dim=1)
    ids = language_concepts(classes, descs, u=3)
    assert ids.shape == (2, 3) and ids.dtype == torch.int64
    assert ids.tolist() == [[1, 3, 2], [0, 2, 1]]
    torch.testing.assert_close(weight_dissection(classes, descs), classes @ descs.T)


def test_matches_topk_on_random_embeddings():
    torch.manual_seed(0)
    classes = F.normalize(torch.randn(10, 16), dim=1)
    descs = F.normalize(torch.randn(200, 16), dim=1)
    ids = language_concepts(classes, descs, u=50)
    assert ids.shape == (10, 50)
    assert torch.equal(ids, (classes @ descs.T).topk(50, dim=1).indices)
    assert all(len(set(r)) == 50 for r in ids.tolist())


def test_ties_and_small_pool():
    classes = torch.tensor([[1.0, 0.0]])
    descs = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    assert language_concepts(classes, descs, u=50).tolist() == [[1, 0, 2]]  # N < u: all, ties by id


def test_bad_shapes():
    with pytest.raises(ValueError, match="same D"):
        language_concepts(torch.zeros(2, 3), torch.zeros(4, 5))
    with pytest.raises(ValueError, match="u must be"):
        language_concepts(torch.zeros(2, 3), torch.zeros(4, 3), u=0)
