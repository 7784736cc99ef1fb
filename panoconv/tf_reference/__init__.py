"""The networks (and later losses and pipelines) written with TensorFlow's own API, upstream names.

Importing a submodule imports TensorFlow; `panoconv.tf_reference` itself stays light.
"""
