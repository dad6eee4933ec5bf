"""Weight-sharing supernets: train once (SPOS, fair sampling, few-shot split), rate many architectures.

``config`` needs no PyTorch; ``network``, ``train`` and ``rate`` import it (reach them through
``nasbench_lab.live``: ``live.train_supernet``, ``live.rate_supernet``, ``live.load_supernet``).
"""

from nasbench_lab.live.supernet.config import SAMPLINGS, SUPERNET_SPACES, SupernetConfig

__all__ = ["SAMPLINGS", "SUPERNET_SPACES", "SupernetConfig"]
