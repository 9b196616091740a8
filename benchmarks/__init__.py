"""chainrule's benchmark suite: ``python -m benchmarks [--quick] [--json FILE] [--only NAME]``.

- `training_step`: an MLP training step against hand-written NumPy and PyTorch;
- `layers`: a training step of a small CNN and of an LSTM classifier against PyTorch;
- `kernels`: the step's pieces (matrix products, the SGD update, ReLU), NumPy against PyTorch;
- `engine_overhead`: microseconds per op on scalar graphs, against plain Python floats;
- `memory`: peak memory against hand-written NumPy, and release of the graph after backward;
- `end_to_end`: the default ``chainrule train`` run against the same run in PyTorch;
- `anomaly`: what ``cr.detect_anomaly()`` costs on, and that it costs nothing off.

Each module's ``run(quick)`` returns a table (``columns``, ``rows``, ``notes``) and its raw
figures; `run.main` prints the tables and writes everything to JSON.
"""
