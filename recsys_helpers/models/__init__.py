"""Models: pretrained language model loading (`pretrained`), the baselines every model is
compared with (`baselines`), and the recommenders built on them, among them the two-tower text
recommender (`bi_encoder`) and the ID + text hybrid (`fusion`)."""
