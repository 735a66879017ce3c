"""State reset between gallery examples (used by sphinx-gallery's ``reset_modules``).

Each example still seeds its own generators in its first cell; this only
makes sure no example inherits global state from the one before it.
"""

import os


def reset_torch(gallery_conf, fname, when=None):
    """Restore torch's global defaults: dtype, threads, deterministic flags, seed."""
    import torch

    torch.set_default_dtype(torch.float32)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    torch.use_deterministic_algorithms(False)
    torch.set_grad_enabled(True)
    # A fixed global seed so that an example that forgot to use its own
    # generator is at least reproducible; examples pass explicit generators.
    torch.manual_seed(0)
