"""`chainrule.nn.init`: weight initialisers that fill a tensor in place and return it.

    cr.nn.init.he_normal_(layer.weight)                       # std = √(2 / fan_in)
    cr.nn.init.normal_(w, std=0.01, generator=np.random.default_rng(0))

For a weight W of shape (in, out): fan_in = in, fan_out = out (PyTorch's weights are
(out, in), and its fan_in is their second axis: on the same layer both agree). PyTorch's
names and arguments, with an explicit ``generator=`` where values are random:

    cr.nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=rng)  # PyTorch's Linear
    cr.nn.init.trunc_normal_(w, std=0.02, a=-0.04, b=0.04, generator=rng)
    cr.nn.init.orthogonal_(w, gain=cr.nn.init.calculate_gain("tanh"), generator=rng)
"""

from ._init import (
    constant_,
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
from ._init_matrices import eye_, orthogonal_, sparse_
from ._kaiming import calculate_gain, kaiming_normal_, kaiming_uniform_
from ._trunc_normal import trunc_normal_

__all__ = [
    "calculate_gain",
    "constant_",
    "eye_",
    "fans",
    "he_normal_",
    "he_uniform_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "sparse_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]
