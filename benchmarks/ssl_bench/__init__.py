"""The paper's section 4.2 protocol (Inés et al. 2021) as a benchmark: k labelled images per
class, the rest of the training images unlabelled, every process against ND, over seeds.

Modules: `sources` (datasets in), `sampling` (labelled / unlabelled / test sets), `runner` (one
process on one sample), `records` (the resumable CSV), `stats` (Wilcoxon), `table` (Markdown).
Named `ssl_bench`, not `ssl`, so that it cannot shadow Python's own `ssl` module when
`benchmarks/` is first on the import path.
"""
