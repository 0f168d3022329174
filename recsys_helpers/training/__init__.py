"""Training objectives and their checks: losses with hand-written gradients (`losses`), gradient
checking (`gradcheck`), and small scorers on fixed features trained with any of the losses
(`scorers`). The fine-tuning loop of the language models is `recsys_helpers.train`; what is
inspected around it lives here too: which parts of a classifier a freezing strategy trains
(`freezing`) and how many token positions each padding scheme computes (`padding`)."""
