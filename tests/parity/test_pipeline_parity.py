"""The whole panorama predict pipeline agrees between PyTorch and TensorFlow (float32 and float64)."""

from __future__ import annotations

import pytest

from panoconv.inference.recipe import PanoramaRecipe

pytestmark = pytest.mark.tf


def test_pipeline_parity_small_panorama(seeded_tf_weights):
    from panoconv.parity.pipeline import PipelineParityRequest, run_pipeline_parity

    report = run_pipeline_parity(PipelineParityRequest(weights=seeded_tf_weights, size=(256, 512),
                                                       recipe=PanoramaRecipe(net_width=512)))
    assert report.passed, report.to_table()
    assert report.final_error("float32") <= 1e-5
    assert report.final_error("float64") <= 1e-10
    assert report.resize_matrix_vs_tf_native <= 1e-6  # our matrices are TF's own resize
    assert all(d.nan_mask_equal for d in report.diffs)
    assert '"passed": true' in report.to_json()


def test_tf_native_resize_pipeline_close(seeded_tf_weights, rng):
    """With tf.image.resize itself on the TF side (float32), the final disparity still agrees."""
    import numpy as np

    from panoconv.inference.pipeline import predict_array
    from panoconv.parity.weights import torch_model_from_tf
    from panoconv.tf_reference.predict import predict_array as tf_predict

    image = rng.random((128, 256, 3)).astype(np.float32)
    recipe = PanoramaRecipe(net_width=256)
    ours = predict_array(torch_model_from_tf(seeded_tf_weights, "float32"), image, "equirectangular", recipe=recipe)
    ref = tf_predict(seeded_tf_weights, image, "equirectangular", recipe=recipe, resize="native")
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    assert np.nanmax(np.abs(ours - ref)) <= 1e-5
