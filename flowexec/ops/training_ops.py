"""training_ops: the fused updates of Adadelta, FTRL and the proximal optimizers.

Each kernel follows TF's: under the variable's (and its slots') locks it reads them, checks
the gradient's shape, and swaps in fresh arrays (see state_ops' `_fused_update`); scalars
(learning rate, rho, l1, l2, ...) are rank-0 inputs of the variable's dtype. The ops are
updates, not differentiable.

    ApplyAdadelta:  accum = rho accum + (1 - rho) g^2
                    u = sqrt(accum_update + eps) / sqrt(accum + eps) g
                    accum_update = rho accum_update + (1 - rho) u^2;  var -= lr u
    ApplyProximalGradientDescent / ApplyProximalAdagrad: a gradient (or Adagrad) step to
                    p, then var = sign(p) max(|p| - lr l1, 0) / (1 + lr l2)
    ApplyFtrl(V2):  g' = g + 2 l2_shrinkage var;  n' = n + g^2
                    z += g' - (n'^-p - n^-p) / lr var
                    var = |z| > l1 ? (sign(z) l1 - z) / (n'^-p / lr + 2 l2) : 0
"""

from flowexec.framework.registry import defop
from flowexec.ops.state_ops import _APPLY_FORM, _apply, _apply_infer, _fused_update


def _shrink(xp, prox, lr_l1, lr_l2):
    if lr_l1 is None:
        return prox / (1 + lr_l2)
    return xp.sign(prox) * xp.maximum(xp.abs(prox) - lr_l1, 0) / (1 + lr_l2)


@defop("ApplyAdadelta", infer=_apply_infer(3), stateful=True, needs_ctx=True,
       node_def=_APPLY_FORM)
def _apply_adadelta(ctx, xp, var, accum, accum_update, lr, rho, epsilon, grad, *, var_names,
                    use_locking=False):
    def update(old, acc, acc_up):
        new_acc = rho * acc + (1 - rho) * grad * grad
        u = xp.sqrt(acc_up + epsilon) / xp.sqrt(new_acc + epsilon) * grad
        new_up = rho * acc_up + (1 - rho) * u * u
        return (old - lr * u).astype(old.dtype, copy=False), new_acc, new_up
    return _fused_update(ctx, var_names, grad, update)


@defop("ApplyProximalGradientDescent", infer=_apply_infer(1, "delta"), stateful=True,
       needs_ctx=True, node_def=_APPLY_FORM)
def _apply_proximal_gd(ctx, xp, var, alpha, l1, l2, delta, *, var_names, use_locking=False):
    def update(old):
        prox = old - alpha * delta
        new = _shrink(xp, prox, alpha * l1 if l1 > 0 else None, alpha * l2)
        return (new.astype(old.dtype, copy=False),)
    return _fused_update(ctx, var_names, delta, update, "delta")


@defop("ApplyProximalAdagrad", infer=_apply_infer(2), stateful=True, needs_ctx=True,
       node_def=_APPLY_FORM)
def _apply_proximal_adagrad(ctx, xp, var, accum, lr, l1, l2, grad, *, var_names,
                            use_locking=False):
    def update(old, acc):
        new_acc = acc + grad * grad
        rate = lr / xp.sqrt(new_acc)
        prox = old - grad * rate
        new = _shrink(xp, prox, rate * l1 if l1 > 0 else None, rate * l2)
        return new.astype(old.dtype, copy=False), new_acc
    return _fused_update(ctx, var_names, grad, update)


def _ftrl_update(xp, grad, lr, l1, l2, shrinkage, lr_power):
    def power(n):
        return xp.sqrt(n) if lr_power == -0.5 else n ** (-lr_power)

    def update(old, acc, lin):
        g_shr = grad + 2 * shrinkage * old if shrinkage is not None else grad
        new_acc = acc + grad * grad
        new_lin = lin + g_shr - (power(new_acc) - power(acc)) / lr * old
        quadratic = power(new_acc) / lr + 2 * l2
        new = xp.where(xp.abs(new_lin) > l1, (xp.sign(new_lin) * l1 - new_lin) / quadratic,
                       xp.zeros((), dtype=old.dtype))
        return new.astype(old.dtype, copy=False), new_acc, new_lin
    return update


@defop("ApplyFtrl", infer=_apply_infer(3), stateful=True, needs_ctx=True,
       node_def=_APPLY_FORM)
def _apply_ftrl(ctx, xp, var, accum, linear, lr, l1, l2, lr_power, grad, *, var_names,
                use_locking=False):
    return _fused_update(ctx, var_names, grad,
                         _ftrl_update(xp, grad, lr, l1, l2, None, float(lr_power)))


@defop("ApplyFtrlV2", infer=_apply_infer(3), stateful=True, needs_ctx=True,
       node_def=_APPLY_FORM)
def _apply_ftrl_v2(ctx, xp, var, accum, linear, lr, l1, l2, l2_shrinkage, lr_power, grad, *,
                   var_names, use_locking=False):
    return _fused_update(ctx, var_names, grad,
                         _ftrl_update(xp, grad, lr, l1, l2, l2_shrinkage, float(lr_power)))


for _od in (_apply_adadelta, _apply_proximal_gd, _apply_proximal_adagrad, _apply_ftrl,
            _apply_ftrl_v2):
    _od.not_differentiable()


def apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, use_locking=False,
                   name=None):
    """TF's ApplyAdadelta, fused (see the module docstring); returns the new value."""
    return _apply("ApplyAdadelta", [var, accum, accum_update], [lr, rho, epsilon], grad, name,
                  use_locking)


def apply_proximal_gradient_descent(var, alpha, l1, l2, delta, use_locking=False, name=None):
    """TF's ApplyProximalGradientDescent, fused; returns the new value."""
    return _apply("ApplyProximalGradientDescent", [var], [alpha, l1, l2], delta, name,
                  use_locking)


def apply_ftrl(var, accum, linear, grad, lr, l1, l2, lr_power, use_locking=False, name=None,
               l2_shrinkage=None):
    """TF's ApplyFtrl (ApplyFtrlV2 with `l2_shrinkage`), fused; returns the new value."""
    if l2_shrinkage is None:
        return _apply("ApplyFtrl", [var, accum, linear], [lr, l1, l2, lr_power], grad, name,
                      use_locking)
    return _apply("ApplyFtrlV2", [var, accum, linear], [lr, l1, l2, l2_shrinkage, lr_power],
                  grad, name, use_locking)


def apply_proximal_adagrad(var, accum, lr, l1, l2, grad, use_locking=False, name=None):
    """TF's ApplyProximalAdagrad, fused; returns the new value."""
    return _apply("ApplyProximalAdagrad", [var, accum], [lr, l1, l2], grad, name, use_locking)
