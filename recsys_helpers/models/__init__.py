"""Models: pretrained language model loading and the baselines they are compared with."""
