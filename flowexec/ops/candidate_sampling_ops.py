"""candidate_sampling_ops: TF's uniform and log-uniform (Zipfian) candidate samplers and
`compute_accidental_hits`, for sampled losses.

A sampler draws `num_sampled` class ids in [0, range_max) and reports the expected count of
every true and sampled class under its sampling, as TF's RangeSampler does:

- `uniform`: P(k) = 1 / range_max;
- `log_uniform`: P(k) = log((k + 2) / (k + 1)) / log(range_max + 1), drawn as
  floor(exp(u * log(range_max + 1))) - 1 with u uniform in [0, 1);
- `unique=True` redraws until `num_sampled` distinct ids were seen (range_max must be at
  least num_sampled); the expected count of a class after n draws is then
  -expm1(n * log1p(-P(k))), else num_sampled * P(k).

The samplers are host-only stateful ops seeded like every random op (see random_ops); their
outputs carry no gradient.
"""

import collections
import math

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops.random_ops import _generator, _seed_attrs

# TF's generated wrappers return these namedtuples
_SAMPLER_FIELDS = ["sampled_candidates", "true_expected_count", "sampled_expected_count"]
_SAMPLERS = {op_type: collections.namedtuple(op_type, _SAMPLER_FIELDS) for op_type in (
    "UniformCandidateSampler", "LogUniformCandidateSampler", "FixedUnigramCandidateSampler",
    "LearnedUnigramCandidateSampler", "AllCandidateSampler")}
ComputeAccidentalHits = collections.namedtuple("ComputeAccidentalHits",
                                               ["indices", "ids", "weights"])


def sampler_result(op_type, outputs):
    """A sampler op's three outputs as TF's namedtuple for `op_type`."""
    return _SAMPLERS[op_type](*outputs)


def _sampler_infer(op):
    true = op.inputs[0]
    if true.dtype != dtypes.int64:
        raise TypeError(f"Input 'true_classes' of '{op.type}' Op has type {true.dtype.name} "
                        "that does not match expected type of int64.")
    n = op.attrs["num_sampled"]
    batch = true.shape.as_list()[0] if true.shape.ndims else None
    return [(dtypes.int64, TensorShape([n])),
            (dtypes.float32, TensorShape([batch, op.attrs["num_true"]])),
            (dtypes.float32, TensorShape([n]))]


def _probability(xp, kind, ids, range_max):
    ids = ids.astype(xp.float64)
    if kind == "uniform":
        return xp.full(ids.shape, 1.0 / range_max)
    return xp.log((ids + 2.0) / (ids + 1.0)) / math.log(range_max + 1.0)


def _draw(xp, gen, kind, n, range_max):
    if kind == "uniform":
        return gen.integers(0, range_max, n).astype(xp.int64)
    u = gen.random(n)
    return xp.minimum(xp.floor(xp.exp(u * math.log(range_max + 1.0))) - 1,
                      range_max - 1).astype(xp.int64)


def _expected(xp, p, num_sampled, num_tries, unique):
    if not unique or num_tries == num_sampled:
        return p * num_sampled
    return -xp.expm1(num_tries * xp.log1p(-p))


def _sample(kind):
    def kernel(ctx, xp, true_classes, *, num_true, num_sampled, unique, range_max, seed,
               seed2):
        if true_classes.ndim != 2 or true_classes.shape[1] != num_true:
            raise InvalidArgumentError(None, None, f"true_classes must be a matrix with "
                                                   f"num_true={num_true} columns")
        if unique and num_sampled > range_max:
            raise InvalidArgumentError(None, None, "Sampler's range is too small.")
        gen = _generator(ctx, xp, seed, seed2)
        if unique:
            picked, seen, tries = [], set(), 0
            while len(picked) < num_sampled:
                batch = _draw(xp, gen, kind, num_sampled, range_max).tolist()
                for v in batch:
                    tries += 1
                    if v not in seen:
                        seen.add(v)
                        picked.append(v)
                        if len(picked) == num_sampled:
                            break
            sampled = xp.asarray(picked, dtype=xp.int64)
        else:
            sampled = _draw(xp, gen, kind, num_sampled, range_max)
            tries = num_sampled
        true_p = _probability(xp, kind, true_classes, range_max)
        sampled_p = _probability(xp, kind, sampled, range_max)
        return (sampled,
                _expected(xp, true_p, num_sampled, tries, unique).astype(xp.float32),
                _expected(xp, sampled_p, num_sampled, tries, unique).astype(xp.float32))
    kernel.__name__ = f"_{kind}_candidate_sampler"
    return kernel


_log_uniform = defop("LogUniformCandidateSampler", infer=_sampler_infer, stateful=True,
                     needs_ctx=True, device_types=("CPU",))(_sample("log_uniform"))
_uniform = defop("UniformCandidateSampler", infer=_sampler_infer, stateful=True,
                 needs_ctx=True, device_types=("CPU",))(_sample("uniform"))
_log_uniform.not_differentiable()
_uniform.not_differentiable()


def _hits_infer(op):
    return [(dtypes.int32, TensorShape([None])), (dtypes.int64, TensorShape([None])),
            (dtypes.float32, TensorShape([None]))]


@defop("ComputeAccidentalHits", infer=_hits_infer, device_types=("CPU",))
def _accidental_hits(xp, true_classes, sampled_candidates, *, num_true):
    hits = (true_classes[:, :, None] == sampled_candidates[None, None, :])
    rows, _, cols = xp.nonzero(hits)
    weights = xp.full(rows.shape, -float(xp.finfo(xp.float32).max), dtype=xp.float32)
    return rows.astype(xp.int32), cols.astype(xp.int64), weights


_accidental_hits.not_differentiable()


def _sampler(op_type, true_classes, num_true, num_sampled, unique, range_max, seed, name,
             default):
    with name_scope(name, default, [true_classes]) as scope:
        true_classes = convert_to_tensor(true_classes, name="true_classes")
        return sampler_result(op_type, apply_op(
            op_type, true_classes, name=scope, num_true=int(num_true),
            num_sampled=int(num_sampled), unique=bool(unique), range_max=int(range_max),
            **_seed_attrs(seed)))


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                  seed=None, name=None):
    """Samples classes from the log-uniform (Zipfian) distribution over [0, range_max).

    Args:
        true_classes: int64 [batch_size, num_true], the target classes.
        num_true: the number of targets per example.
        num_sampled: the number of classes to sample.
        unique: sample without replacement (all distinct).
        range_max: the number of classes.
        seed: op-level seed.
        name: op name.

    Returns:
        (sampled_candidates int64 [num_sampled], true_expected_count float32
        [batch_size, num_true], sampled_expected_count float32 [num_sampled]).

    Example:
        >>> sampled, true_ec, sampled_ec = tf.nn.log_uniform_candidate_sampler(
        ...     labels, 1, 64, True, vocab_size)
    """
    return _sampler("LogUniformCandidateSampler", true_classes, num_true, num_sampled, unique,
                    range_max, seed, name, "LogUniformCandidateSampler")


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                              seed=None, name=None):
    """Samples classes uniformly from [0, range_max); see `log_uniform_candidate_sampler`."""
    return _sampler("UniformCandidateSampler", true_classes, num_true, num_sampled, unique,
                    range_max, seed, name, "UniformCandidateSampler")


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """Where a sampled candidate equals one of a row's true classes.

    Returns:
        (indices int32, ids int64, weights float32): for each hit, the row, the position in
        `sampled_candidates`, and -FLT_MAX (to add to that sampled logit).
    """
    with name_scope(name, "ComputeAccidentalHits", [true_classes, sampled_candidates]) as sc:
        true_classes = convert_to_tensor(true_classes, name="true_classes")
        sampled = convert_to_tensor(sampled_candidates, name="sampled_candidates")
        return ComputeAccidentalHits(*apply_op("ComputeAccidentalHits", true_classes,
                                               sampled, name=sc, num_true=int(num_true)))


__all__ = ["compute_accidental_hits", "log_uniform_candidate_sampler",
           "uniform_candidate_sampler"]
