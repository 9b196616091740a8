"""`chainrule.nn.init`: weight initialisers that fill a tensor in place and return it.

    cr.nn.init.he_normal_(layer.weight)                       # std = √(2 / fan_in)
    cr.nn.init.normal_(w, std=0.01, generator=np.random.default_rng(0))

For a weight W of shape (in, out): fan_in = in, fan_out = out.
"""

from ._init import (
    fans,
    he_normal_,
    he_uniform_,
    normal_,
    ones_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
    zeros_,
)

__all__ = [
    "fans",
    "he_normal_",
    "he_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]
