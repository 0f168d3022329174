"""The lab shop: a controlled laboratory for comparing text models with ID models.

The first synthetic shop (`recsys_helpers.data.synthetic`) wrote the answer into the text:
taste depended only on category, price band and quality, and every item text named the category
and the price band word for word, so TF-IDF matched a language model everywhere. This shop
separates what the words say from what only behaviour reveals, and lets you turn each up or down.

**Items** (`catalogue`) have semantic attributes: a category (shown only through a product noun
such as "tent" or "sleeping bag"), a use ("made for the mountains"), a style, a feature, an
audience and a price band. Their texts say these things with varied surface forms
(`language`): synonyms and paraphrases ("Waterproof." / "Keeps the rain out." / "Shrugs off a
downpour."), shuffled sentences and eight brand voices, so a relevant item often shares few words
with a user's history or a query. A pretrained sentence encoder links these by meaning; TF-IDF
only by shared words. What a small encoder such as MiniLM reads best is the kind of product (a
tent and a sleeping bag are both camping gear); finer attributes it reads less well than TF-IDF
matches their repeated phrases, which leaves fine-tuning something to teach.

**Taste** (`behaviour`) has two parts of equal scale, mixed by ``text_signal``:
``taste = sqrt(text_signal) * semantic + sqrt(1 - text_signal) * latent``. The semantic part is
a preference over the attributes, which texts express; the latent part is a dot product of
low-rank random factors, which no text states, so only co-behaviour (an ID model like ALS) can
learn it, and only for items that have interactions. At the default mix, ALS should win on warm
items and text models on cold ones: the case for fusing them.

**Behaviour**: tastes drift for some users; a logging policy picks each visit's slate from
appeal-weighted candidates by (noisy) taste; clicks are position-biased; clicks become
purchases, some purchases reviews whose stars follow the affinity. New items and users arrive
all along, so every period has cold ones. **Search** (`queries`): queries in shoppers' words,
result lists from a lexical logging engine, position-biased clicks, and graded relevance.

The hidden truth stays available: `LabShop.true_affinity(users, items, days)`,
`LabShop.taste`, `LabShop.query_relevance(queries, items)`.

Knobs (`LabShopConfig`, defaults in brackets):

- ``text_signal`` [0.5]: share of taste the texts can explain; 0 makes texts useless for taste,
  1 leaves nothing for an ID model to add.
- ``lexical_variety`` [1.0]: chance that a phrase is a random synonym rather than its canonical
  wording; at 0 every item says the same thing the same way and TF-IDF catches up.
- ``mention_rate`` [1.0]: chance that an item text states a given attribute at all (below 1,
  texts leave attributes out, which costs MiniLM more of its edge than TF-IDF).
- ``n_factors`` [8]: rank of the latent part. ``taste_strength`` [2.0], ``click_bias`` [-2.0]
  and ``quality_sd`` [0.3]: the click logit is ``click_bias + taste_strength * taste +
  quality``. Within the semantic part, `ATTRIBUTE_WEIGHTS` makes the category weigh most.
- ``policy_skill`` [1.0]: how closely slates follow taste (0: appeal-weighted random slates);
  ``candidate_pool`` [30] candidates per visit, ``slate_size`` [10] shown.
- ``drift_share`` [0.5] of users drift, ``drift_strength`` [0.5]: share of taste replaced.
- ``initial_item_share`` [0.6], ``initial_user_share`` [0.7]: who exists on day 0.
- sizes: ``n_users`` [3000], ``n_items`` [1500], ``n_sessions`` [30000], ``n_days`` [180],
  ``n_queries`` [5000], ``results_per_query`` [10]; ``review_rate`` [0.6]; ``seed`` [0].
"""

from __future__ import annotations

from .behaviour import ATTRIBUTE_WEIGHTS, position_bias
from .catalogue import ATTRIBUTE_NAMES, ATTRIBUTE_VALUES, CATEGORY_NAMES
from .laboratory import LabShop, LabShopConfig, make_lab_shop

__all__ = ["ATTRIBUTE_NAMES", "ATTRIBUTE_VALUES", "ATTRIBUTE_WEIGHTS", "CATEGORY_NAMES",
           "LabShop", "LabShopConfig", "make_lab_shop", "position_bias"]
