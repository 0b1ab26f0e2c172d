"""Every registered op is complete: inference, a kernel, a gradient decision, a cost hint,
and a numpy-oracle row in some `tests/ops/test_*.py` CASES table (or a named reason why
another test covers it)."""

import importlib
import pkgutil

import flowexec as tf
import tests.ops as ops_tests
from flowexec.framework import registry
from flowexec.framework.registry import NOT_DIFFERENTIABLE
from tests.ops import harness

# Ops whose behaviour is checked outside the oracle tables, and where.
COVERED_ELSEWHERE = {
    "SqlDataset": "tests/data/test_sql.py (TF's rows and errors on the same tables)",
    "Bucketize": "tests/feature_column/test_bucketize_op.py (TF's recorded bucket ids, numpy "
                 "oracle)",
    **{t: "tests/data/test_experimental2.py (against TF's recorded outputs)" for t in (
        "DenseToSparseBatchDataset", "AssertCardinalityDataset", "SnapshotDataset",
        "SerializeIterator", "DeserializeIterator")},
    **{t: "tests/ops/test_quantize_ops.py (bit for bit against TF's recorded outputs)"
       for t in ("QuantizeV2", "Dequantize", "QuantizedConcat")},
    **{t: "tests/train/test_queues.py (threads, closing, deadlines)" for t in (
        "FIFOQueueV2", "RandomShuffleQueueV2", "PaddingFIFOQueueV2", "QueueEnqueueV2",
        "QueueEnqueueManyV2", "QueueDequeueV2", "QueueDequeueManyV2", "QueueDequeueUpToV2",
        "QueueCloseV2", "QueueSizeV2", "QueueIsClosedV2")},
    **{t: "tests/train/test_accumulator.py (mean/sum, staleness, waiting)" for t in (
        "ResourceConditionalAccumulator", "ResourceAccumulatorApplyGradient",
        "ResourceAccumulatorTakeGradient", "ResourceAccumulatorNumAccumulated",
        "ResourceAccumulatorSetGlobalStep")},
    "EagerPyFunc": "tests/ops/test_py_function.py (values, errors, finite-difference grads)",
    "CriticalSectionExecute": "tests/ops/test_critical_section.py (concurrent runs)",
    **{t: "tests/train/test_sparse_accumulator.py (means by index, TF's messages)" for t in (
        "SparseConditionalAccumulator", "SparseAccumulatorApplyGradient",
        "SparseAccumulatorTakeGradient")},
    **{t: "tests/ops/test_checkpoint_remap_ops.py (against TF's recorded outputs)" for t in (
        "GenerateVocabRemapping", "LoadAndRemapMatrix")},
    "_Send": "tests/distributed/test_session.py (cross-task tensors, delivered once)",
    "_Recv": "tests/distributed/test_session.py (cross-task tensors, delivered once)",
    "Placeholder": "tests/runtime/test_session.py (feeds, unfed placeholder errors)",
    "SobolSample": "tests/ops/test_sobol.py (bit for bit against TF's recorded points)",
    "RandomIndexShuffle": "tests/ops/test_random_index_shuffle.py (bit for bit against TF's "
                          "recorded outputs, permutation check)",
    **{t: "tests/runtime/test_session_handles.py (kept across runs, deleted, TF's errors)"
       for t in ("GetSessionHandle", "GetSessionTensor", "DeleteSessionTensor")},
    **{t: "tests/ops/test_random_extra.py (statistics, seeds, gamma gradient vs inverse CDF)"
       for t in ("RandomGamma", "RandomGammaGrad", "RandomPoissonV2", "StatelessMultinomial",
                 "StatelessParameterizedTruncatedNormal", "StatelessRandomBinomial",
                 "StatelessRandomGammaV2", "StatelessRandomNormal", "StatelessRandomPoisson",
                 "StatelessRandomUniform", "StatelessRandomUniformInt",
                 "StatelessTruncatedNormal")},
    **{t: "tests/ops/test_strings.py (against TF's recorded outputs and Python)" for t in (
        "AsString", "DecodeBase64", "EncodeBase64", "ReadFile", "ReduceJoin", "RegexFullMatch",
        "RegexReplace", "StringJoin", "StringLength", "StringLower", "StringStrip",
        "StringToNumber", "StringUpper", "Substr", "UnsortedSegmentJoin", "WriteFile")},
    **{t: "tests/ops/test_readers_queues.py (records, keys, counters vs the files)" for t in (
        "TFRecordReaderV2", "TextLineReaderV2", "WholeFileReaderV2", "FixedLengthRecordReaderV2",
        "IdentityReaderV2", "ReaderReadV2", "ReaderReadUpToV2", "ReaderNumRecordsProducedV2",
        "ReaderNumWorkUnitsCompletedV2", "ReaderResetV2", "PriorityQueueV2")},
    **{t: "tests/ops/test_fake_quant.py (against TF's recorded outputs)" for t in (
        "FakeQuantWithMinMaxArgs", "FakeQuantWithMinMaxArgsGradient", "FakeQuantWithMinMaxVars",
        "FakeQuantWithMinMaxVarsGradient", "FakeQuantWithMinMaxVarsPerChannel",
        "FakeQuantWithMinMaxVarsPerChannelGradient")},
    **{t: "tests/test_summary_extra.py (the serialized protos)" for t in (
        "TensorSummaryV2", "ImageSummary", "AudioSummaryV2")},
    **{t: "tests/ops/test_candidate_samplers_extra.py (statistics)" for t in (
        "AllCandidateSampler", "FixedUnigramCandidateSampler", "LearnedUnigramCandidateSampler")},
    **{t: "tests/ops/test_tensor_proto_ops.py (round trips, TF's proto)" for t in (
        "SerializeTensor", "ParseTensor", "DecodeCompressed", "Timestamp")},
    **{t: "tests/ops/test_parse_example.py (against TF's recorded outputs and messages)"
       for t in ("ParseExampleV2", "ParseSequenceExampleV2", "DecodeJSONExample", "ParseExample",
                 "ParseSingleExample", "ParseSingleSequenceExample")},
    "RngReadAndSkip": "tests/test_random_generator.py (sequences, concurrent draws)",
    **{t: "tests/ops/test_set_ops.py (TF's recorded results, Python sets)" for t in (
        "DenseToDenseSetOperation", "DenseToSparseSetOperation", "SparseToSparseSetOperation",
        "SetSize")},
    **{t: "tests/ops/test_lookup_ops.py (TF's recorded lookups, errors, sessions)" for t in (
        "HashTableV2", "MutableHashTableV2", "MutableHashTableOfTensorsV2",
        "MutableDenseHashTableV2", "InitializeTableV2", "InitializeTableFromTextFileV2",
        "LookupTableFindV2", "LookupTableImportV2", "LookupTableInsertV2",
        "LookupTableRemoveV2", "LookupTableSizeV2", "LookupTableExportV2")},
    **{t: "tests/ops/test_sparse_serialize_ops.py (TF's recorded bytes, round trips)" for t in (
        "SerializeSparse", "SerializeManySparse", "DeserializeManySparse", "DeserializeSparse")},
    "SparseCross": "tests/ops/test_sparse_cross_ops.py (TF's recorded crosses and hashes)",
    **{t: "tests/ops/test_string_split_ops.py (TF's recorded tokens, Python's str.split)"
       for t in ("StringSplit", "StringSplitV2")},
    "StringFormat": "tests/test_framework_api.py (tf.strings.format against TF's output)",
    "PrintV2": "tests/test_framework_api.py (tf.print against TF's output)",
    **{t: "tests/ops/test_scatter.py (variable updates against numpy)" for t in (
        "ScatterUpdate", "ScatterAdd", "ScatterSub", "ScatterMul", "ScatterDiv", "ScatterMax",
        "ScatterMin", "ScatterNdUpdate", "ScatterNdAdd", "ScatterNdSub")},
    **{t: "tests/train/test_sparse_optimizers.py (against TF's recorded optimizer steps)"
       for t in ("SparseApplyMomentum", "SparseApplyAdagrad", "SparseApplyAdadelta",
                 "SparseApplyRMSProp", "SparseApplyCenteredRMSProp", "SparseApplyFtrl",
                 "SparseApplyFtrlV2", "SparseApplyProximalGradientDescent",
                 "SparseApplyProximalAdagrad", "SparseApplyAdagradDA")},
    "If": "tests/ops/test_control_flow.py, test_cond_grad.py (stateful branches, gradients)",
    "StatelessIf": "tests/ops/test_control_flow.py (tf.cond, finite-difference gradients)",
    "While": "tests/ops/test_control_flow.py (tf.while_loop with side effects)",
    "StatelessWhile": "tests/ops/test_control_flow.py (tf.while_loop against a Python loop)",
    "LoopAccumulatorGet": "tests/ops/test_while_loop_grad.py (every while-loop gradient)",
    "NoOp": "tests/runtime/test_session.py and variables tests (group, initializers)",
    "VariableV2": "tests/test_variables.py",
    "Assign": "tests/test_variables.py",
    "AssignAdd": "tests/test_variables.py",
    "AssignSub": "tests/test_variables.py",
    "IsVariableInitialized": "tests/test_variables.py",
    "ApplyGradientDescent": "tests/train/test_optimizers.py",
    "ApplyMomentum": "tests/train/test_optimizers.py",
    "ApplyAdam": "tests/train/test_optimizers.py",
    "ApplyRMSProp": "tests/train/test_optimizers.py",
    "ApplyCenteredRMSProp": "tests/train/test_optimizers.py",
    "ApplyAdagrad": "tests/train/test_optimizers.py",
    "LogUniformCandidateSampler": "tests/ops/test_sampled_losses.py (statistics)",
    "UniformCandidateSampler": "tests/ops/test_sampled_losses.py (statistics)",
    "ComputeAccidentalHits": "tests/ops/test_sampled_losses.py",
    "ApplyAdadelta": "tests/train/test_optimizers_extra.py",
    "ApplyFtrl": "tests/train/test_optimizers_extra.py",
    "ApplyFtrlV2": "tests/train/test_optimizers_extra.py",
    "ApplyProximalGradientDescent": "tests/train/test_optimizers_extra.py",
    "ApplyProximalAdagrad": "tests/train/test_optimizers_extra.py",
    "RandomStandardNormal": "tests/ops/test_random.py (statistics, seeds)",
    "RandomUniform": "tests/ops/test_random.py",
    "RandomUniformInt": "tests/ops/test_random.py",
    "TruncatedNormal": "tests/ops/test_random.py",
    "RandomShuffle": "tests/ops/test_random.py",
    "Multinomial": "tests/ops/test_random.py",
    "ScalarSummary": "tests/test_summary.py",
    "HistogramSummary": "tests/test_summary.py",
    "MergeSummary": "tests/test_summary.py",
    "TensorDataset": "tests/data (against plain-Python expectations)",
    "TensorSliceDataset": "tests/data (against plain-Python expectations)",
    "RangeDataset": "tests/data (against plain-Python expectations)",
    "GeneratorDataset": "tests/data (against plain-Python expectations)",
    "ZipDataset": "tests/data (against plain-Python expectations)",
    "ConcatenateDataset": "tests/data (against plain-Python expectations)",
    "MapDataset": "tests/data (against plain-Python expectations)",
    "ParallelMapDataset": "tests/data (against plain-Python expectations)",
    "FilterDataset": "tests/data (against plain-Python expectations)",
    "FlatMapDataset": "tests/data (against plain-Python expectations)",
    "InterleaveDataset": "tests/data (against plain-Python expectations)",
    "BatchDatasetV2": "tests/data (against plain-Python expectations)",
    "PaddedBatchDatasetV2": "tests/data (against plain-Python expectations)",
    "UnbatchDataset": "tests/data (against plain-Python expectations)",
    "ShuffleDataset": "tests/data (against plain-Python expectations)",
    "RepeatDataset": "tests/data (against plain-Python expectations)",
    "TakeDataset": "tests/data (against plain-Python expectations)",
    "SkipDataset": "tests/data (against plain-Python expectations)",
    "ShardDataset": "tests/data (against plain-Python expectations)",
    "PrefetchDataset": "tests/data (against plain-Python expectations)",
    "CacheDataset": "tests/data (against plain-Python expectations)",
    "TextLineDataset": "tests/data/test_readers.py",
    "TFRecordDataset": "tests/data/test_readers.py",
    "FixedLengthRecordDatasetV2": "tests/data/test_readers.py",
    "MatchingFiles": "tests/data/test_readers.py",
    "SaveV2": "tests/train/test_saver_bundle.py (files byte-identical to TF's)",
    "RestoreV2": "tests/train/test_saver_bundle.py (TF's files, either format)",
    "DatasetCardinality": "tests/data/test_transformations.py",
    "OptionsDataset": "tests/data/test_options.py",
    "ReduceDataset": "tests/data/test_transformations.py",
    "DatasetToSingleElement": "tests/data/test_transformations.py",
    "IgnoreErrorsDataset": "tests/data (against plain-Python expectations)",
    "IteratorV2": "tests/data (against plain-Python expectations)",
    "OneShotIterator": "tests/data (against plain-Python expectations)",
    "MakeIterator": "tests/data (against plain-Python expectations)",
    "IteratorGetNext": "tests/data (against plain-Python expectations)",
    "IteratorToStringHandle": "tests/data (against plain-Python expectations)",
    "IteratorFromStringHandleV2": "tests/data (against plain-Python expectations)",
    "ScanDataset": "tests/data/test_grouping.py, test_tf_data_experimental_fixtures.py",
    "TakeWhileDataset": "tests/data/test_grouping.py, test_tf_data_experimental_fixtures.py",
    "UniqueDataset": "tests/data/test_grouping.py, test_tf_data_experimental_fixtures.py",
    "GroupByWindowDataset": "tests/data/test_grouping.py, test_tf_data_experimental_fixtures.py",
    "GroupByReducerDataset": "tests/data/test_grouping.py, test_tf_data_experimental_fixtures.py",
    "WindowDataset": "tests/data/test_windowing.py, test_tf_data_experimental_fixtures.py",
    "CSVDataset": "tests/data/test_csv.py, test_tf_data_experimental_fixtures.py",
    "RandomDataset": "tests/data/test_sampling.py (TF's values)",
    "DirectedInterleaveDataset": "tests/data/test_sampling.py",
    "IteratorGetNextAsOptional": "tests/data/test_sampling.py",
    "OptionalFromValue": "tests/data/test_sampling.py",
    "OptionalNone": "tests/data/test_sampling.py",
    "OptionalHasValue": "tests/data/test_sampling.py",
    "OptionalGetValue": "tests/data/test_sampling.py",
    "DatasetToTFRecord": "tests/data/test_sampling.py",
}


def _project_ops():
    """Registered ops defined inside the flowexec package (test-only ops excluded)."""
    return {name: od for name, od in registry.registered_ops().items()
            if od.defined_at.startswith("flowexec")}


def _all_cases():
    cases = []
    for info in pkgutil.iter_modules(ops_tests.__path__):
        if info.name.startswith("test_") and info.name != "test_registry":
            mod = importlib.import_module(f"tests.ops.{info.name}")
            cases.extend(getattr(mod, "CASES", []))
    return cases


def test_every_op_has_inference_kernel_gradient_decision_and_cost():
    missing = []
    for name, od in sorted(_project_ops().items()):
        if not callable(od.infer):
            missing.append(f"{name}: no shape/dtype inference")
        if not callable(od.kernel):
            missing.append(f"{name}: no kernel")
        if od.grad_fn is None:
            missing.append(f"{name}: no gradient and not declared not differentiable")
        elif od.grad_fn is not NOT_DIFFERENTIABLE and not callable(od.grad_fn):
            missing.append(f"{name}: gradient is not callable")
        if not (callable(od.cost) or od.cost in (registry.CHEAP, registry.EXPENSIVE)):
            missing.append(f"{name}: unknown cost hint {od.cost!r}")
    assert not missing, "\n".join(missing)


def test_every_op_has_an_oracle_row():
    covered = set()
    for case in _all_cases():
        xs = case.arrays()
        g = tf.Graph()
        with g.as_default():
            outs = case.build(*[tf.placeholder(tf.as_dtype(x.dtype), x.shape) for x in xs])
            outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
            float_outs = [o for o in outs if o.dtype.is_floating]
            if case.grad and float_outs:
                loss = tf.add_n([tf.reduce_sum(o) for o in float_outs])
                params = [t for t in g.get_operations() if t.type == "Placeholder"]
                tf.gradients(loss, [p.outputs[0] for p in params
                                    if p.outputs[0].dtype.is_floating])
        covered.update(op.type for op in g.get_operations())
    covered |= harness.COVERED_OP_TYPES
    uncovered = sorted(set(_project_ops()) - covered - set(COVERED_ELSEWHERE))
    assert not uncovered, f"ops without a numpy-oracle row: {uncovered}"


def test_covered_elsewhere_names_real_ops():
    stale = sorted(set(COVERED_ELSEWHERE) - set(_project_ops()))
    # Summary ops register when flowexec.summary is imported.
    import flowexec.summary  # noqa: F401
    stale = sorted(set(COVERED_ELSEWHERE) - set(_project_ops()))
    assert not stale, f"exemptions for ops that do not exist: {stale}"


def test_duplicate_registration_names_first_definition():
    import pytest

    with pytest.raises(ValueError, match="already registered at flowexec"):
        registry.defop("Const", infer=lambda op: [])(lambda xp: None)
