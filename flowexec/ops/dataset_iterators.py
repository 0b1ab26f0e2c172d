"""The host side of `tf.data`: dataset values (what a variant tensor holds) and iterators.

A dataset op's kernel returns a `DatasetValue`: an immutable recipe (its inputs' values, its
arguments, the planned function of a `map`) whose `iterate()` starts one pass over the
elements, as a Python generator of *flat* element tuples (one numpy value per component;
structures live in `flowexec.data`). `IteratorResource` holds one such pass per iterator
and per session (`MakeIterator` replaces it); `IteratorGetNext` advances it.

Concurrency:
    * `IteratorResource.get_next` is serialized by a lock: concurrent `run`s of one
      `get_next` each get a different element.
    * A parallel `map` (num_parallel_calls > 1) keeps up to that many function calls in
      flight on its own thread pool and yields results in input order (TF's default,
      deterministic). numpy releases the GIL in its kernels, so calls really overlap.
    * `prefetch` runs its input on a background thread that fills a bounded queue while
      the consumer's step runs. It stops when its pass is dropped (the iterator is
      re-initialized, the session closed) or when the input ends or fails; an error in the
      input reaches the consumer when it gets that far.
    * An error while producing an element (a failing op inside a map function, a batch of
      unequal shapes) travels down the pipeline as a `Failed` element in that element's
      place, and the `get_next` that reaches it raises it; the pass goes on (as in TF: the
      next `get_next` returns the next element). A transformation passes a Failed element
      on at once without counting it; a batch being collected is dropped with it;
      `ignore_errors` drops it. A Python generator that raises is finished (Python's rule),
      so `from_generator` ends there.
"""

import abc
import collections
import copy
import os
import queue
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from flowexec.framework import errors
from flowexec.ops import record_format

AUTOTUNE = -1
INFINITE = -1  # cardinalities, TF's constants
UNKNOWN = -2


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _autotune(n):
    return (os.cpu_count() or 1) if n == AUTOTUNE else n


class Failed:
    """An error in place of an element (see the module docstring)."""

    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error


def _failed(e):
    if isinstance(e, errors.OpError):
        return Failed(e)
    if isinstance(e, (TypeError, ValueError)):
        return Failed(_invalid(f"{type(e).__name__}: {e}"))
    return Failed(errors.UnknownError(None, None, f"{type(e).__name__}: {e}"))


def _shape_str(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


class PipelineContext:
    """What a pass knows about its whole pipeline: the dataset options in force
    (`tf.data.Options`, attached by `with_options`), e.g. a private thread-pool size that
    caps every parallel map."""

    __slots__ = ("threadpool_size",)

    def __init__(self, threadpool_size=None):
        self.threadpool_size = threadpool_size

    def with_options(self, options):
        size = options.get("private_threadpool_size")
        return PipelineContext(size if size else self.threadpool_size)

    def parallelism(self, n):
        """The worker count for `n` calls at once (AUTOTUNE: the pool size or the cores)."""
        if n == AUTOTUNE:
            n = self.threadpool_size or _autotune(n)
        return min(n, self.threadpool_size) if self.threadpool_size else n


class DatasetValue(abc.ABC):
    """A dataset recipe; `iterate()` starts a pass (a generator of flat element tuples)."""

    same_cardinality = False  # a transformation with as many elements as its input

    @abc.abstractmethod
    def iterate(self, ctx):
        """A generator of this dataset's elements for one pass."""

    def cardinality(self):
        """The number of elements, INFINITE, or UNKNOWN (as TF computes it statically)."""
        return self.input.cardinality() if self.same_cardinality else UNKNOWN

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def instance(self):
        """This recipe for one more use in a pipeline. TF gives each use of a dataset its own
        random state (`zip((ds, ds))` of a seeded shuffle pairs equal elements, and so does
        `ds.concatenate(ds)`), so the values with per-pass random state under this one are
        copied with fresh state; everything else is shared. A dataset a function captures
        (flat_map's) is one use whose passes go on drawing, as in TF."""
        changed = {}
        for key, value in getattr(self, "__dict__", {}).items():
            if isinstance(value, DatasetValue):
                fresh = value.instance()
                if fresh is not value:
                    changed[key] = fresh
            elif isinstance(value, tuple) and value and all(
                    isinstance(v, DatasetValue) for v in value):
                fresh = tuple(v.instance() for v in value)
                if any(a is not b for a, b in zip(fresh, value)):
                    changed[key] = fresh
        reset = getattr(self, "_fresh_random_state", None)
        if not changed and reset is None:
            return self
        out = copy.copy(self)
        out.__dict__.update(changed)
        if reset is not None:
            out._fresh_random_state()
        return out


# ----- sources -------------------------------------------------------------------------------
class TensorsValue(DatasetValue):
    def __init__(self, components):
        self.components = tuple(components)

    def iterate(self, ctx):
        yield self.components

    def cardinality(self):
        return 1


class SlicesValue(DatasetValue):
    def __init__(self, components):
        sizes = [np.shape(c)[0] if np.ndim(c) else None for c in components]
        if any(s is None for s in sizes):
            raise _invalid("Cannot slice a scalar component: every component of "
                           "from_tensor_slices must have rank at least 1.")
        if len(set(sizes)) > 1:
            raise _invalid("All components must have the same size in the 0th dimension; "
                           f"got sizes {sizes}")
        self.components = tuple(components)
        self.size = sizes[0] if sizes else 0

    def cardinality(self):
        return self.size

    def iterate(self, ctx):
        comps = self.components
        for i in range(self.size):
            yield tuple(c[i] for c in comps)


class RangeValue(DatasetValue):
    def __init__(self, start, stop, step):
        if step == 0:
            raise _invalid("step must be a non-zero integer.")
        self.range = range(int(start), int(stop), int(step))

    def cardinality(self):
        return len(self.range)

    def iterate(self, ctx):
        for v in self.range:
            yield (np.int64(v),)


class GeneratorValue(DatasetValue):
    """`from_generator`: `make(*args)` returns an iterator of flat, checked element tuples."""

    def __init__(self, make, args):
        self.make = make
        self.args = tuple(args)

    def iterate(self, ctx):
        try:
            yield from self.make(*self.args)
        except Exception as e:  # noqa: BLE001 - reported as the element, TF's error type
            yield _failed(e)


def _filenames(value):
    return [f.decode("utf-8") if isinstance(f, bytes) else str(f)
            for f in np.ravel(np.asarray(value, dtype=object))]


def _string(data):
    return np.asarray(data, dtype=object)


class TextLineValue(DatasetValue):
    """`TextLineDataset`: the lines of each file, without their "\n" (or "\r\n")."""

    def __init__(self, filenames, compression):
        self.filenames = _filenames(filenames)
        self.compression = compression

    def iterate(self, ctx):
        for name in self.filenames:
            try:
                f = record_format.open_read(name, self.compression)
            except errors.OpError as e:
                yield Failed(e)
                continue
            with f:
                for line in f:
                    if line.endswith(b"\n"):
                        line = line[:-1]
                    if line.endswith(b"\r"):
                        line = line[:-1]
                    yield (_string(line),)


class FixedLengthRecordValue(DatasetValue):
    def __init__(self, filenames, header_bytes, record_bytes, footer_bytes, compression):
        if record_bytes <= 0:
            raise _invalid("record_bytes must be greater than zero.")
        self.filenames = _filenames(filenames)
        self.header, self.record, self.footer = int(header_bytes), int(record_bytes), \
            int(footer_bytes)
        self.compression = compression

    def iterate(self, ctx):
        for name in self.filenames:
            try:
                with record_format.open_read(name, self.compression) as f:
                    content = f.read()
            except errors.OpError as e:
                yield Failed(e)
                continue
            body = content[self.header:len(content) - self.footer]
            if len(body) % self.record:
                yield Failed(errors.DataLossError(
                    None, None, f"Excluding the header ({self.header} bytes) and footer "
                    f"({self.footer} bytes), input file \"{name}\" has body length "
                    f"{len(body)}, which is not an exact multiple of the record length "
                    f"({self.record} bytes)."))
                continue
            for i in range(0, len(body), self.record):
                yield (_string(body[i:i + self.record]),)


class TFRecordValue(DatasetValue):
    def __init__(self, filenames, compression):
        self.filenames = _filenames(filenames)
        self.compression = compression

    def iterate(self, ctx):
        for name in self.filenames:
            try:
                f = record_format.open_read(name, self.compression)
            except errors.OpError as e:
                yield Failed(e)
                continue
            with f:
                try:
                    for record in record_format.read_records(f, name):
                        yield (_string(record),)
                except record_format.CorruptRecord as e:
                    yield Failed(errors.DataLossError(None, None, str(e)))


class ZipValue(DatasetValue):
    def __init__(self, inputs):
        self.inputs = tuple(d.instance() for d in inputs)

    def cardinality(self):
        counts = [d.cardinality() for d in self.inputs]
        if UNKNOWN in counts:
            return UNKNOWN
        finite = [c for c in counts if c >= 0]
        return min(finite) if finite else INFINITE

    def iterate(self, ctx):
        its = [d.iterate(ctx) for d in self.inputs]
        while True:
            element = ()
            for it in its:
                try:
                    part = next(it)
                except StopIteration:
                    return
                if part.__class__ is Failed:
                    element = part
                    break
                element += part
            yield element


class ConcatenateValue(DatasetValue):
    def __init__(self, first, second):
        self.first, self.second = first.instance(), second.instance()

    def cardinality(self):
        a, b = self.first.cardinality(), self.second.cardinality()
        if INFINITE in (a, b):
            return INFINITE
        return UNKNOWN if UNKNOWN in (a, b) else a + b

    def iterate(self, ctx):
        yield from self.first.iterate(ctx)
        yield from self.second.iterate(ctx)


# ----- functions -----------------------------------------------------------------------------
class MapValue(DatasetValue):
    """`map`: a planned function per element; in parallel on a pool, results in order."""

    same_cardinality = True

    def __init__(self, input, fn, captured, num_parallel_calls=1):
        self.input = input
        self.fn = fn
        self.captured = tuple(captured)
        n = int(num_parallel_calls)
        if n <= 0 and n != AUTOTUNE:
            raise _invalid(f"num_parallel_calls must be positive or AUTOTUNE (-1), got {n}")
        self.parallel = n

    def _apply(self, element):
        if element.__class__ is Failed:
            return element
        try:
            return tuple(self.fn.call(element, self.captured))
        except Exception as e:  # noqa: BLE001 - the element's error, raised by get_next
            return _failed(e)

    def iterate(self, ctx):
        parallel = ctx.parallelism(self.parallel)
        if parallel == 1:
            for element in self.input.iterate(ctx):
                yield self._apply(element)
            return
        pool = ThreadPoolExecutor(parallel, thread_name_prefix="tf.data.map")
        pending = collections.deque()
        try:
            source = self.input.iterate(ctx)
            done = False
            while True:
                while not done and len(pending) < parallel:
                    try:
                        element = next(source)
                    except StopIteration:
                        done = True
                        break
                    pending.append(pool.submit(self._apply, element))
                if not pending:
                    return
                yield pending.popleft().result()
        finally:
            for f in pending:
                f.cancel()
            pool.shutdown(wait=True)


class FilterValue(DatasetValue):
    def __init__(self, input, predicate, captured):
        self.input = input
        self.predicate = predicate
        self.captured = tuple(captured)

    def iterate(self, ctx):
        call, captured = self.predicate.call, self.captured
        for element in self.input.iterate(ctx):
            if element.__class__ is Failed:
                yield element
                continue
            try:
                keep = bool(call(element, captured)[0])
            except Exception as e:  # noqa: BLE001 - the element's error, raised by get_next
                yield _failed(e)
                continue
            if keep:
                yield element


class InterleaveValue(DatasetValue):
    """`interleave` (`flat_map` is cycle_length 1): `fn` maps an element to a dataset;
    `cycle_length` of those are read round-robin, `block_length` elements at a time."""

    def __init__(self, input, fn, captured, cycle_length, block_length):
        cycle_length = _autotune(int(cycle_length))
        if cycle_length <= 0:
            raise _invalid("cycle_length must be greater than zero.")
        if block_length <= 0:
            raise _invalid("block_length must be greater than zero.")
        self.input = input
        self.fn = fn
        self.captured = tuple(captured)
        self.cycle_length = cycle_length
        self.block_length = int(block_length)

    def _open(self, element, ctx):
        if element.__class__ is Failed:
            raise element.error
        dataset = self.fn.call(element, self.captured)[0]
        if not isinstance(dataset, DatasetValue):
            raise _invalid("The function of flat_map/interleave must return a Dataset.")
        return dataset.iterate(ctx)

    def iterate(self, ctx):
        # TF's InterleaveDataset state machine: a slot whose dataset ends is refilled from
        # the input the next time the cycle comes back to it.
        source = self.input.iterate(ctx)
        n, block_length = self.cycle_length, self.block_length
        current = [None] * n
        index = block = num_open = 0
        end_of_input = False
        while not end_of_input or num_open > 0:
            it = current[index]
            if it is not None:
                try:
                    element = next(it)
                except StopIteration:
                    current[index] = None
                    num_open -= 1
                    index, block = (index + 1) % n, 0
                    continue
                block += 1
                if block == block_length:
                    index, block = (index + 1) % n, 0
                yield element
            elif not end_of_input:
                try:
                    element = next(source)
                except StopIteration:
                    end_of_input = True
                    continue
                try:
                    current[index] = self._open(element, ctx)
                    num_open += 1
                except Exception as e:  # noqa: BLE001 - the element's error, raised by get_next
                    yield _failed(e)
            else:
                index, block = (index + 1) % n, 0


# ----- batching ------------------------------------------------------------------------------
def _stack(elements, component):
    values = [e[component] for e in elements]
    first = np.shape(values[0])
    for j, v in enumerate(values[1:], 1):
        if np.shape(v) != first:
            raise _invalid(
                f"Cannot batch tensors with different shapes in component {component}. First "
                f"element had shape {_shape_str(first)} and element {j} had shape "
                f"{_shape_str(np.shape(v))}.")
    arrays = [np.asarray(v) for v in values]
    if arrays[0].dtype.kind in "SUO":  # strings stay object arrays: 'S' would drop trailing NULs
        arrays = [np.asarray(v, dtype=object) for v in values]
    return np.stack(arrays)


class BatchValue(DatasetValue):
    def __init__(self, input, batch_size, drop_remainder):
        if batch_size <= 0:
            raise _invalid("Batch size must be greater than zero.")
        self.input = input
        self.batch_size = int(batch_size)
        self.drop_remainder = bool(drop_remainder)

    def cardinality(self):
        n = self.input.cardinality()
        if n < 0:
            return n
        return n // self.batch_size if self.drop_remainder else -(-n // self.batch_size)

    def _batch(self, elements):
        return tuple(_stack(elements, c) for c in range(len(elements[0])))

    def _checked_batch(self, elements):
        try:
            return self._batch(elements)
        except errors.OpError as e:
            return Failed(e)

    def iterate(self, ctx):
        batch = []
        for element in self.input.iterate(ctx):
            if element.__class__ is Failed:
                batch = []
                yield element
                continue
            batch.append(element)
            if len(batch) == self.batch_size:
                yield self._checked_batch(batch)
                batch = []
        if batch and not self.drop_remainder:
            yield self._checked_batch(batch)


class PaddedBatchValue(BatchValue):
    def __init__(self, input, batch_size, drop_remainder, padded_shapes, padding_values):
        super().__init__(input, batch_size, drop_remainder)
        self.padded_shapes = [tuple(int(d) for d in np.ravel(s)) for s in padded_shapes]
        self.padding_values = list(padding_values)

    def _batch(self, elements):
        out = []
        for c, (shape, pad) in enumerate(zip(self.padded_shapes, self.padding_values)):
            values = [np.asarray(e[c]) for e in elements]
            ranks = {v.ndim for v in values}
            if ranks != {len(shape)}:
                raise _invalid(
                    f"All elements in a batch must have the same rank as the padded shape for "
                    f"component {c}: expected rank {len(shape)} but got element with rank "
                    f"{min(ranks - {len(shape)})}")
            full = []
            for d, want in enumerate(shape):
                biggest = max(v.shape[d] for v in values)
                if want >= 0 and biggest > want:
                    raise _invalid("Attempted to pad to a smaller size than the input element.")
                full.append(biggest if want < 0 else want)
            batch = np.full((len(values),) + tuple(full), pad, dtype=values[0].dtype)
            for i, v in enumerate(values):
                batch[(i,) + tuple(slice(0, n) for n in v.shape)] = v
            out.append(batch)
        return tuple(out)


class UnbatchValue(DatasetValue):
    def __init__(self, input):
        self.input = input

    def iterate(self, ctx):
        for element in self.input.iterate(ctx):
            if element.__class__ is Failed:
                yield element
                continue
            sizes = {np.shape(c)[0] if np.ndim(c) else None for c in element}
            if None in sizes:
                yield Failed(_invalid("Input element must have a non-scalar value in each "
                                      "component."))
                continue
            if len(sizes) > 1:
                yield Failed(_invalid("Input element must have the same batch size in each "
                                      f"component; got sizes {sorted(sizes)}."))
                continue
            n = sizes.pop() if sizes else 0
            for i in range(n):
                yield tuple(c[i] for c in element)


# ----- order and count -----------------------------------------------------------------------
class ShuffleValue(DatasetValue):
    """TF's shuffle: a buffer of `buffer_size` elements, each output drawn uniformly from it
    and its slot refilled from the input. Seeds (0, 0) mean fresh entropy. With
    `reshuffle_each_iteration`, each pass draws its seed from a generator seeded once, so
    the sequence of epochs is reproducible but each epoch differs."""

    same_cardinality = True

    def __init__(self, input, buffer_size, seed, seed2, reshuffle_each_iteration):
        if buffer_size <= 0:
            raise _invalid("buffer_size must be greater than zero.")
        self.input = input
        self.buffer_size = int(buffer_size)
        self.seeds = None if seed == 0 and seed2 == 0 else [int(seed), int(seed2)]
        self.reshuffle = bool(reshuffle_each_iteration)
        self._fresh_random_state()

    def _fresh_random_state(self):
        self._epochs = np.random.default_rng(self.seeds)
        self._lock = threading.Lock()

    def _rng(self):
        if not self.reshuffle and self.seeds is not None:
            return np.random.default_rng(self.seeds)
        with self._lock:
            return np.random.default_rng(self._epochs.integers(2 ** 63))

    def iterate(self, ctx):
        rng = self._rng()
        buf = []
        for element in self.input.iterate(ctx):
            if element.__class__ is Failed:
                yield element
                continue
            if len(buf) < self.buffer_size:
                buf.append(element)
                continue
            i = int(rng.integers(len(buf)))
            yield buf[i]
            buf[i] = element
        while buf:
            i = int(rng.integers(len(buf)))
            buf[i], buf[-1] = buf[-1], buf[i]
            yield buf.pop()


class RepeatValue(DatasetValue):
    def __init__(self, input, count):
        self.input = input
        self.count = int(count)

    def cardinality(self):
        n = self.input.cardinality()
        if self.count < 0:
            return 0 if n == 0 else INFINITE
        return n if n < 0 and self.count else n * self.count

    def iterate(self, ctx):
        epoch = 0
        while self.count < 0 or epoch < self.count:
            produced = False
            for element in self.input.iterate(ctx):
                produced = True
                yield element
            if not produced:  # an empty input would repeat forever
                return
            epoch += 1


class TakeValue(DatasetValue):
    def __init__(self, input, count):
        self.input = input
        self.count = int(count)

    def cardinality(self):
        n = self.input.cardinality()
        if self.count < 0:
            return n
        if n == INFINITE:
            return self.count
        return UNKNOWN if n == UNKNOWN else min(n, self.count)

    def iterate(self, ctx):
        if self.count == 0:
            return
        taken = 0
        for element in self.input.iterate(ctx):
            yield element
            if element.__class__ is not Failed:
                taken += 1
                if taken == self.count:
                    return


class SkipValue(DatasetValue):
    def __init__(self, input, count):
        self.input = input
        self.count = int(count)

    def cardinality(self):
        n = self.input.cardinality()
        if n < 0:
            return n
        return 0 if self.count < 0 else max(n - self.count, 0)

    def iterate(self, ctx):
        it = self.input.iterate(ctx)
        if self.count < 0:  # skip(-1) skips everything
            for _ in it:
                pass
            return
        skipped = 0
        while skipped < self.count:
            try:
                element = next(it)
            except StopIteration:
                return
            if element.__class__ is Failed:
                yield element
            else:
                skipped += 1
        yield from it


class ShardValue(DatasetValue):
    def __init__(self, input, num_shards, index):
        if num_shards <= 0:
            raise _invalid(f"Number of shards must be greater than zero (currently "
                           f"num_shards = {num_shards}).")
        if not 0 <= index < num_shards:
            raise _invalid(f"Index must be between 0 and {num_shards - 1} (currently "
                           f"index = {index}).")
        self.input = input
        self.num_shards, self.index = int(num_shards), int(index)

    def cardinality(self):
        n = self.input.cardinality()
        if n < 0:
            return n
        return n // self.num_shards + (1 if self.index < n % self.num_shards else 0)

    def iterate(self, ctx):
        i = 0
        for element in self.input.iterate(ctx):
            if element.__class__ is Failed:
                yield element
                continue
            if i % self.num_shards == self.index:
                yield element
            i += 1


# ----- prefetch and cache --------------------------------------------------------------------
_END = object()


def _produce(source, q, stop):
    """The prefetch thread: fill `q` from `source` until it ends, fails or `stop` is set."""
    def put(item):
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False
    try:
        for element in source:
            if not put(element):
                return
        put(_END)
    except Exception as e:  # noqa: BLE001 - handed to the consumer, raised by its get_next
        put(_failed(e))
        put(_END)
    finally:
        source.close()


class PrefetchValue(DatasetValue):
    same_cardinality = True

    def __init__(self, input, buffer_size):
        buffer_size = int(buffer_size)
        if buffer_size == AUTOTUNE:
            buffer_size = 2
        if buffer_size < 0:
            raise _invalid("buffer_size must be >= 0 or AUTOTUNE (-1).")
        self.input = input
        self.buffer_size = buffer_size

    def iterate(self, ctx):
        if self.buffer_size == 0:
            yield from self.input.iterate(ctx)
            return
        q = queue.Queue(self.buffer_size)
        stop = threading.Event()
        thread = threading.Thread(target=_produce, args=(self.input.iterate(ctx), q, stop),
                                  name="tf.data.prefetch", daemon=True)
        thread.start()
        try:
            while True:
                item = q.get()
                if item is _END:
                    return
                yield item
        finally:
            stop.set()


class CacheValue(DatasetValue):
    """`cache`: the first complete pass is recorded (in memory, or in `filename`) and later
    passes replay it; an incomplete pass records nothing."""

    same_cardinality = True

    def __init__(self, input, filename):
        self.input = input
        self.filename = filename.decode() if isinstance(filename, bytes) else str(filename)
        self._elements = None
        self._lock = threading.Lock()

    def _cached(self):
        if self._elements is not None:
            return self._elements
        if self.filename and os.path.exists(self.filename):
            self._elements = _read_cache_file(self.filename)
        return self._elements

    def iterate(self, ctx):
        cached = self._cached()
        if cached is not None:
            yield from cached
            return
        recorded = []
        complete = True
        for element in self.input.iterate(ctx):
            if element.__class__ is Failed:
                complete = False
            else:
                recorded.append(element)
            yield element
        if not complete:  # a pass with errors is not a cache of the dataset
            return
        with self._lock:
            self._elements = recorded
            if self.filename:
                tmp = f"{self.filename}.tmp-{os.getpid()}-{threading.get_ident()}"
                _write_cache_file(tmp, recorded)
                os.replace(tmp, self.filename)


def _write_cache_file(path, elements):
    """Writes cached elements as an .npz of plain arrays (never pickles: a cache file is
    data, and reading one must not run code). Strings are stored as lengths + bytes."""
    arrays = {"count": np.array([len(elements), len(elements[0]) if elements else 0])}
    for i, element in enumerate(elements):
        for j, value in enumerate(element):
            key = f"e{i}_{j}"
            arr = np.asarray(value)
            arrays[key + "_scalar"] = np.array(not isinstance(value, np.ndarray))
            if arr.dtype.kind == "O":
                flat = [bytes(b) for b in arr.reshape(-1)]
                arrays[key + "_shape"] = np.array(arr.shape, dtype=np.int64)
                arrays[key + "_len"] = np.array([len(b) for b in flat], dtype=np.int64)
                arrays[key + "_bytes"] = np.frombuffer(b"".join(flat), dtype=np.uint8)
            else:
                arrays[key] = arr
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _read_cache_file(path):
    """The elements `_write_cache_file` wrote; a damaged file is DataLossError naming it."""
    try:
        with np.load(path, allow_pickle=False) as z:
            n, width = (int(v) for v in z["count"])
            elements = []
            for i in range(n):
                element = []
                for j in range(width):
                    key = f"e{i}_{j}"
                    if key + "_bytes" in z.files:
                        data = z[key + "_bytes"].tobytes()
                        ends = np.cumsum(z[key + "_len"])
                        parts = [data[e - ln:e] for e, ln in zip(ends, z[key + "_len"])]
                        arr = np.empty(len(parts), dtype=object)
                        arr[:] = parts
                        arr = arr.reshape(tuple(z[key + "_shape"]))
                    else:
                        arr = z[key]
                    element.append(arr[()] if bool(z[key + "_scalar"]) else arr)
                elements.append(tuple(element))
            return elements
    except (OSError, ValueError, KeyError) as e:
        raise errors.DataLossError(
            None, None, f"Dataset cache file {path} is damaged or not a cache file: {e}") from e


class OptionsValue(DatasetValue):
    """`with_options`: its input, iterated with the options in force."""

    same_cardinality = True

    def __init__(self, input, options):
        self.input = input
        self.options = dict(options)

    def iterate(self, ctx):
        yield from self.input.iterate(ctx.with_options(self.options))


class IgnoreErrorsValue(DatasetValue):
    def __init__(self, input):
        self.input = input

    def iterate(self, ctx):
        for element in self.input.iterate(ctx):
            if element.__class__ is not Failed:
                yield element


# ----- whole-dataset ops --------------------------------------------------------------------
def reduce(dataset, fn, state, captured):
    """`Dataset.reduce`: the final state after folding every element with `fn`."""
    state = tuple(state)
    for element in dataset.iterate(PipelineContext()):
        if element.__class__ is Failed:
            raise element.error
        state = tuple(fn.call(state + element, captured))
    return state


def single_element(dataset):
    """`get_single_element`: the only element of `dataset`."""
    it = dataset.iterate(PipelineContext())
    try:
        first = next(it, None)
        if first is None:
            raise _invalid("Dataset was empty.")
        if first.__class__ is Failed:
            raise first.error
        if next(it, None) is not None:
            raise _invalid("Dataset had more than one element.")
        return first
    finally:
        it.close()


# ----- iterators -----------------------------------------------------------------------------
class IteratorResource:
    """One iterator's current pass in one session (`MakeIterator` starts a new one).

    Its state (`state` / `restore`, the SerializeIterator / DeserializeIterator ops) is the
    number of `get_next` calls that returned an element or raised an element's error in
    this pass: restoring starts a new pass over the same dataset value and replays that
    many elements. That is exact for every pipeline whose pass is a function of its dataset
    value (sources, maps, batches, seeded shuffles and random ops restored into an iterator
    that has not started a pass yet: a freshly initialized or one-shot one), and costs the
    time of producing the replayed elements.
    """

    def __init__(self, dataset):
        self._dataset = dataset
        self._passes = [dataset.iterate(PipelineContext())]
        self._consumed = 0
        self._exhausted = False
        self._lock = threading.Lock()
        # a pass that owns threads (prefetch) stops when its resource is dropped
        weakref.finalize(self, _close_passes, self._passes)

    def get_next(self):
        with self._lock:
            try:
                element = next(self._passes[-1])
            except StopIteration:
                self._exhausted = True
                raise errors.OutOfRangeError(None, None, "End of sequence") from None
            self._consumed += 1
        if element.__class__ is Failed:
            raise element.error
        return element

    def state(self):
        """(elements consumed in this pass, whether the pass has ended)."""
        with self._lock:
            return self._consumed, self._exhausted

    def restore(self, consumed, exhausted=False):
        """Starts a new pass and replays `consumed` elements (see the class docstring)."""
        fresh = self._dataset.iterate(PipelineContext())
        done = 0
        try:
            while done < consumed:
                next(fresh)
                done += 1
            if exhausted:
                for _ in fresh:
                    pass
        except StopIteration:
            pass
        except BaseException:
            fresh.close()
            raise
        with self._lock:
            old = self._passes[-1]
            self._passes[-1] = fresh
            self._consumed = done
            self._exhausted = exhausted or done < consumed
        old.close()


def _close_passes(passes):
    for p in passes:
        p.close()
