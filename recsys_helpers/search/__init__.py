"""Product search: rank a catalogue for a query, and measure the ranking against judgements.

- `tasks`: what is ranked for each query (its candidates and their graded gains), built from the
  lab shop's query log or from a judged search set;
- `lexical`: BM25, the word-matching baseline;
- `dense`: a sentence encoder as a retriever (zero-shot or fine-tuned with in-batch negatives),
  with exact search and a faiss index;
- `fusion`: combining a lexical and a dense ranking (reciprocal rank fusion, a tuned blend);
- `rerank`: a cross-encoder that re-reads the fused ranking's top candidates;
- `evaluation`: nDCG@k with graded gains per query, the random-order floor, latency.
"""
