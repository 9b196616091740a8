"""`chainrule.nn.utils`: the gradient clipping functions under the name PyTorch gives
them, ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_``. They live in
`chainrule.optim`, beside the optimizers that read the clipped gradients; this module
only makes the PyTorch spelling work.

    cr.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)  # = cr.optim.clip_grad_norm_
"""

from ..optim import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_"]
