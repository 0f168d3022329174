"""Training objectives and their checks: losses with hand-written gradients (`losses`), gradient
checking (`gradcheck`), and small scorers on fixed features trained with any of the losses
(`scorers`). The fine-tuning loop of the language models is `recsys_helpers.train`."""
