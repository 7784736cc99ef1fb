"""Inference: the predict recipes (rectilinear and 360-degree panorama), depth conversion and outputs.

`predict_array(model, image_hwc, camera)` for one image in Python; `predict(PredictRequest)` for files.
"""

from panoconv.inference.pipeline import predict_array
from panoconv.inference.predict import PredictRequest, PredictResult, predict
from panoconv.inference.recipe import PanoramaRecipe

__all__ = ["predict_array", "predict", "PredictRequest", "PredictResult", "PanoramaRecipe"]
