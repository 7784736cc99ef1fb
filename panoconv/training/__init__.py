"""PyTorch training: a generic trainer driven by a `Task` (self-supervised stereo, supervised depth)."""
