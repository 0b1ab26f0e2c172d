"""More of TF's candidate samplers: all, fixed unigram (from counts or a vocabulary file)
and learned unigram (from the true classes seen so far).

They follow candidate_sampling_ops' conventions (expected counts, `unique`, seeding):

- `all_candidate_sampler`: the classes 0..num_sampled-1, each with expected count 1;
- `fixed_unigram_candidate_sampler`: P(k) proportional to unigrams[k] ** distortion, with
  `num_reserved_ids` ids of probability 0 first and only this shard's ids
  (k % num_shards == shard) kept;
- `learned_unigram_candidate_sampler`: P(k) proportional to a per-Session count that starts
  at 1 for every class (TF's WeightedPicker) and grows by 1 each time k is a true class,
  after each draw.
"""

from flowexec.framework.errors import InvalidArgumentError, NotFoundError
from flowexec.framework.graph import name_scope
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.registry import apply_op, defop
from flowexec.ops.candidate_sampling_ops import _expected, _sampler_infer, sampler_result
from flowexec.ops.random_ops import _generator, _seed_attrs

__all__ = ["all_candidate_sampler", "fixed_unigram_candidate_sampler",
           "learned_unigram_candidate_sampler"]

_HOST = ("CPU",)

def _check_true(true_classes, num_true):
    if true_classes.ndim != 2 or true_classes.shape[1] != num_true:
        raise InvalidArgumentError(None, None, f"true_classes must be a matrix with "
                                               f"num_true={num_true} columns")

def _weighted_sample(xp, gen, probs, num_sampled, unique):
    """Ids drawn from `probs` (and how many draws it took, for unique sampling)."""
    if not unique:
        return gen.choice(probs.size, size=num_sampled, p=probs).astype(xp.int64), num_sampled
    if int((probs > 0).sum()) < num_sampled:
        raise InvalidArgumentError(None, None, "Sampler's range is too small.")
    picked, seen, tries = [], set(), 0
    while len(picked) < num_sampled:
        for v in gen.choice(probs.size, size=num_sampled, p=probs).tolist():
            tries += 1
            if v not in seen:
                seen.add(v)
                picked.append(v)
                if len(picked) == num_sampled:
                    break
    return xp.asarray(picked, dtype=xp.int64), tries

def _outputs(xp, probs, true_classes, sampled, num_sampled, tries, unique):
    true_p = probs[true_classes]
    sampled_p = probs[sampled]
    return (sampled, _expected(xp, true_p, num_sampled, tries, unique).astype(xp.float32),
            _expected(xp, sampled_p, num_sampled, tries, unique).astype(xp.float32))

# ----- AllCandidateSampler --------------------------------------------------------------------
@defop("AllCandidateSampler", infer=_sampler_infer, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _all_sampler(ctx, xp, true_classes, *, num_true, num_sampled, unique, seed, seed2):
    _check_true(true_classes, num_true)
    sampled = xp.arange(num_sampled, dtype=xp.int64)
    return (sampled, xp.ones(true_classes.shape, dtype=xp.float32),
            xp.ones((num_sampled,), dtype=xp.float32))

_all_sampler.not_differentiable()

def all_candidate_sampler(true_classes, num_true, num_sampled, unique, seed=None, name=None):
    """The classes 0..num_sampled-1 as the sampled candidates (for testing sampled losses
    against the full softmax), each with expected count 1 (op AllCandidateSampler).

    Returns:
        (sampled_candidates, true_expected_count, sampled_expected_count).
    """
    with name_scope(name, "AllCandidateSampler", [true_classes]) as scope:
        true_classes = convert_to_tensor(true_classes, name="true_classes")
        return sampler_result("AllCandidateSampler", apply_op(
            "AllCandidateSampler", true_classes, name=scope, num_true=int(num_true),
            num_sampled=int(num_sampled), unique=bool(unique), **_seed_attrs(seed)))

# ----- FixedUnigramCandidateSampler -----------------------------------------------------------
def _read_vocab_counts(path):
    counts = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    counts.append(float(line.split(",")[-1]))
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{path}; No such file or directory") from None
    return counts

def _fixed_probs(xp, range_max, vocab_file, distortion, num_reserved_ids, num_shards, shard,
                 unigrams):
    counts = _read_vocab_counts(vocab_file) if vocab_file else list(unigrams)
    weights = [0.0] * num_reserved_ids + [c ** distortion for c in counts]
    if len(weights) != range_max:
        raise InvalidArgumentError(None, None, f"range_max ({range_max}) must equal the number "
                                               f"of unigrams plus num_reserved_ids "
                                               f"({len(weights)})")
    w = xp.asarray(weights, dtype=xp.float64)
    if num_shards > 1:
        keep = (xp.arange(range_max) % num_shards) == shard
        w = xp.where(keep, w, 0.0)
    total = w.sum()
    if total <= 0:
        raise InvalidArgumentError(None, None, "The unigram weights must not all be zero")
    return w / total

@defop("FixedUnigramCandidateSampler", infer=_sampler_infer, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _fixed_sampler(ctx, xp, true_classes, *, num_true, num_sampled, unique, range_max,
                   vocab_file="", distortion=1.0, num_reserved_ids=0, num_shards=1, shard=0,
                   unigrams=(), seed=0, seed2=0):
    _check_true(true_classes, num_true)
    key = ("fixed_unigram", ctx.op.name)
    probs = ctx.state.get(key)
    if probs is None:
        probs = ctx.state.setdefault(key, _fixed_probs(
            xp, range_max, vocab_file, distortion, num_reserved_ids, num_shards, shard,
            unigrams))
    gen = _generator(ctx, xp, seed, seed2)
    sampled, tries = _weighted_sample(xp, gen, probs, num_sampled, unique)
    return _outputs(xp, probs, true_classes, sampled, num_sampled, tries, unique)

_fixed_sampler.not_differentiable()

def fixed_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                    vocab_file="", distortion=1.0, num_reserved_ids=0,
                                    num_shards=1, shard=0, unigrams=(), seed=None, name=None):
    """Samples classes with P(k) proportional to unigrams[k] ** distortion (see the module
    docstring); the counts come from `unigrams` or from the last comma-separated column of
    each line of `vocab_file` (op type FixedUnigramCandidateSampler).

    Raises:
        ValueError: both or neither of `vocab_file` and `unigrams` are given.
    """
    if bool(vocab_file) == bool(len(unigrams)):
        raise ValueError("Exactly one of vocab_file and unigrams must be given")
    with name_scope(name, "FixedUnigramCandidateSampler", [true_classes]) as scope:
        true_classes = convert_to_tensor(true_classes, name="true_classes")
        return sampler_result("FixedUnigramCandidateSampler", apply_op(
            "FixedUnigramCandidateSampler", true_classes, name=scope, num_true=int(num_true),
            num_sampled=int(num_sampled), unique=bool(unique), range_max=int(range_max),
            vocab_file=str(vocab_file), distortion=float(distortion),
            num_reserved_ids=int(num_reserved_ids), num_shards=int(num_shards),
            shard=int(shard), unigrams=[float(u) for u in unigrams], **_seed_attrs(seed)))

# ----- LearnedUnigramCandidateSampler ---------------------------------------------------------
@defop("LearnedUnigramCandidateSampler", infer=_sampler_infer, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _learned_sampler(ctx, xp, true_classes, *, num_true, num_sampled, unique, range_max, seed,
                     seed2):
    _check_true(true_classes, num_true)
    key = ("learned_unigram", ctx.op.name)
    counts = ctx.state.get(key)
    if counts is None:
        counts = ctx.state.setdefault(key, xp.ones(range_max, dtype=xp.float64))
    if true_classes.size and (true_classes.min() < 0 or true_classes.max() >= range_max):
        raise InvalidArgumentError(None, None, f"true_classes must be in [0, {range_max})")
    probs = counts / counts.sum()
    gen = _generator(ctx, xp, seed, seed2)
    sampled, tries = _weighted_sample(xp, gen, probs, num_sampled, unique)
    out = _outputs(xp, probs, true_classes, sampled, num_sampled, tries, unique)
    xp.add.at(counts, true_classes.reshape(-1), 1.0)  # host state: the kernel is CPU-only
    return out

_learned_sampler.not_differentiable()

def learned_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                      seed=None, name=None):
    """Samples classes from the unigram distribution of the true classes seen so far in
    this Session (see the module docstring; op type LearnedUnigramCandidateSampler)."""
    with name_scope(name, "LearnedUnigramCandidateSampler", [true_classes]) as scope:
        true_classes = convert_to_tensor(true_classes, name="true_classes")
        return sampler_result("LearnedUnigramCandidateSampler", apply_op(
            "LearnedUnigramCandidateSampler", true_classes, name=scope,
            num_true=int(num_true), num_sampled=int(num_sampled), unique=bool(unique),
            range_max=int(range_max), **_seed_attrs(seed)))
