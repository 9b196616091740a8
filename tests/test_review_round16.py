"""Review of Tensor.register_post_accumulate_grad_hook, Module.apply and the Sequential
named by a dict: the edge cases they missed."""

import chainrule as cr


class _Holder(cr.nn.Module):
    def __init__(self, inner):
        self.inner = inner


class _SharedLater(cr.nn.Module):
    """``a`` holds ``b``, which is also this module's own child after ``a``."""

    def __init__(self):
        b = cr.nn.ReLU()
        self.a = _Holder(b)
        self.b = b


def test_apply_visits_a_shared_module_before_the_first_parent_that_holds_it():
    model = _SharedLater()
    seen = []
    model.apply(seen.append)
    assert seen == [model.b, model.a, model]  # PyTorch: b, a, b, model (b once here)
