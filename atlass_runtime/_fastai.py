"""Import this before any fastai module: it silences one import-time message and loads the
fastai patches (fit_one_cycle, lr_find) the trainer relies on.

fastai compiles a few helpers with torch.jit.script at import time, which torch 2.9+ calls
deprecated on every import: not ours to fix, and not something a biologist should read.
"""
import warnings

warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*deprecated", category=FutureWarning)

import fastai.callback.schedule  # noqa: E402,F401  (adds fit_one_cycle and lr_find to Learner)
