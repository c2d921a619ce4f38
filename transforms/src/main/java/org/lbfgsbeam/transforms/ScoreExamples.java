package org.lbfgsbeam.transforms;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.transforms.SoftmaxScoring.BlockScores;

/**
 * Scores examples with a softmax model or a network ({@code --model mlp}) that {@code train} saved
 * (read through Beam's FileSystems by {@link LinearModelFiles} or {@link NetworkModelFiles}, scored
 * by {@link SoftmaxScoring} or {@link NetworkScoring}, as the command line does): for each example its {@link Prediction}, the top-k labels with
 * their probabilities.
 *
 * <pre>{@code
 * PCollection<KV<Long, LabeledExample>> examples = ...;   // keyed by a unique id
 * PCollection<Prediction> predictions =
 *     examples.apply("Score", ScoreExamples.withModel("gs://bucket/model").withTopK(5));
 *
 * // Or any type, given how to get its id and its features:
 * records.apply("Score", ScoreExamples.withModel(dir)
 *     .withInput(Record::id, r -> SparseFeatures.of(r.indices(), r.values())));
 * }</pre>
 *
 * <p><b>Example ids.</b> A PCollection has no order, so there is no "input order" to number
 * examples by reproducibly: the caller gives each example a {@code long} id (a line number, a
 * database key), the key of the input {@code KV} or what {@link #withInput}'s function returns, and
 * each {@link Prediction} carries it back so it can be joined to the example. Ids must be unique:
 * {@link Strategy#JOIN_BY_BLOCK} groups by id and fails on a repeated one; {@link Strategy#SIDE_INPUT}
 * does not look and scores each element.
 *
 * <p><b>Strategies.</b> Both compute every example with the same kernels
 * ({@link SoftmaxScoring}) over the model's own class blocks, combined in block order, so they give
 * identical predictions, bit for bit; they differ in where the weights go.
 * <ul>
 *   <li>{@link Strategy#SIDE_INPUT}, for models that fit in a worker's memory: the class blocks are
 *       read in parallel, collected in block order into one singleton side input
 *       ({@code double[][]}, K&times;D&times;8 bytes) that every worker holds, and each example is scored
 *       where it is: no shuffle of the examples.
 *   <li>{@link Strategy#JOIN_BY_BLOCK}, for models too large to broadcast (the paper's model-parallel
 *       layout): the class blocks are a {@code PCollection<KV<Integer, double[]>>} keyed by
 *       node_id = block; every example is replicated to each of the P blocks and joined to its block
 *       with a {@code CoGroupByKey}; each block emits per example its partial log-sum-exp statistics
 *       and its own top k; a {@code GroupByKey} on the example id gathers the P partials, which are
 *       combined in block order. A block is scored by one worker that holds just that block; the
 *       examples are shuffled P times, and the scoring parallelism is P.
 *   <li>{@link Strategy#AUTO} (the default) takes SIDE_INPUT when W takes at most
 *       {@link #withMaxSideInputBytes} (default {@value #DEFAULT_MAX_SIDE_INPUT_BYTES} bytes), else
 *       JOIN_BY_BLOCK.
 * </ul>
 *
 * <p><b>Features beyond the model.</b> A feature index above the model's D (a word the training set
 * never had) fails the pipeline by default, naming the example, the index and D: an index past D is
 * as often a mistake (0-based indices, another feature map) as an unseen feature.
 * {@code withUnknownFeatures(UnknownFeatures.IGNORE)} drops such features instead, which is exactly
 * scoring them with weight 0: the weight {@code train} would have given a feature absent from its
 * data (its gradient is &lambda;w).
 *
 * <p>{@code model.json} is read when the transform is applied (so a bad model directory or a k above
 * the number of classes fails at construction); the weights are read by the workers.
 *
 * @param <T> the input elements
 */
public final class ScoreExamples<T> extends PTransform<PCollection<T>, PCollection<Prediction>> {
  /** The default of {@link #withMaxSideInputBytes}: 64 MiB. */
  public static final long DEFAULT_MAX_SIDE_INPUT_BYTES = 64L << 20;

  /** Where the weights go; see the class comment. */
  public enum Strategy {
    /** SIDE_INPUT when W fits in {@link #withMaxSideInputBytes}, else JOIN_BY_BLOCK. */
    AUTO,
    /** W broadcast to every worker as a singleton side input. */
    SIDE_INPUT,
    /** Examples replicated to the class blocks and joined by node_id; partials combined per example. */
    JOIN_BY_BLOCK
  }

  /** What to do with a feature index above the model's D; see the class comment. */
  public enum UnknownFeatures {
    /** Fail the pipeline, naming the example, the index and D. */
    FAIL,
    /** Drop the feature: score it with weight 0. */
    IGNORE
  }

  private final String modelDir;
  private final SerializableFunction<T, Long> idFn;
  private final SerializableFunction<T, SparseFeatures> featuresFn;
  private final int topK;
  private final Strategy strategy;
  private final long maxSideInputBytes;
  private final UnknownFeatures unknownFeatures;

  private ScoreExamples(String modelDir, SerializableFunction<T, Long> idFn,
      SerializableFunction<T, SparseFeatures> featuresFn, int topK, Strategy strategy,
      long maxSideInputBytes, UnknownFeatures unknownFeatures) {
    this.modelDir = modelDir;
    this.idFn = idFn;
    this.featuresFn = featuresFn;
    this.topK = topK;
    this.strategy = strategy;
    this.maxSideInputBytes = maxSideInputBytes;
    this.unknownFeatures = unknownFeatures;
  }

  /**
   * Scores {@code KV<id, example>}s with the softmax model in {@code modelDir} (any Beam FileSystem
   * path); the examples' labels are not used. Top 1, {@link Strategy#AUTO}, unknown features fail.
   */
  public static ScoreExamples<KV<Long, LabeledExample>> withModel(String modelDir) {
    Checks.checkArgument(modelDir != null && !modelDir.isEmpty(),
        "model directory must be set, but was: %s", modelDir);
    return new ScoreExamples<>(modelDir, new KeyOf(), new FeaturesOf(), 1, Strategy.AUTO,
        DEFAULT_MAX_SIDE_INPUT_BYTES, UnknownFeatures.FAIL);
  }

  /**
   * Scores {@code KV<id, example>}s with the model whose directory the singleton side input
   * {@code modelDirectory} holds, for a model that exists only once the pipeline runs (one trained
   * earlier in the same pipeline): each worker reads the whole model when it scores its first
   * example. Same predictions as {@link #withModel} on that directory; no {@link
   * Strategy#JOIN_BY_BLOCK} and no checks at construction (see {@link ScoreWithModelDirectory}).
   */
  public static ScoreWithModelDirectory<KV<Long, LabeledExample>> withModelDirectory(
      PCollectionView<String> modelDirectory) {
    return ScoreWithModelDirectory.of(modelDirectory);
  }

  /**
   * Scores elements of any type: {@code id} gives each its unique id, {@code features} its features.
   * Both must be serialisable functions of the element alone (a lambda or method reference that
   * captures nothing else).
   */
  public <NewT> ScoreExamples<NewT> withInput(SerializableFunction<NewT, Long> id,
      SerializableFunction<NewT, SparseFeatures> features) {
    Checks.checkArgument(id != null, "id function must not be null");
    Checks.checkArgument(features != null, "features function must not be null");
    return new ScoreExamples<>(modelDir, id, features, topK, strategy, maxSideInputBytes,
        unknownFeatures);
  }

  /** Gives the {@code k} most probable labels (at most the model's K; checked when applied). */
  public ScoreExamples<T> withTopK(int k) {
    Checks.checkArgument(k >= 1, "topK must be positive, but was: %s", k);
    return new ScoreExamples<>(modelDir, idFn, featuresFn, k, strategy, maxSideInputBytes,
        unknownFeatures);
  }

  /** Chooses the strategy instead of {@link Strategy#AUTO}. */
  public ScoreExamples<T> withStrategy(Strategy strategy) {
    Checks.checkArgument(strategy != null, "strategy must not be null");
    return new ScoreExamples<>(modelDir, idFn, featuresFn, topK, strategy, maxSideInputBytes,
        unknownFeatures);
  }

  /** The largest W (K&middot;D&middot;8 bytes) that {@link Strategy#AUTO} broadcasts as a side input. */
  public ScoreExamples<T> withMaxSideInputBytes(long bytes) {
    Checks.checkArgument(bytes >= 0, "max side input bytes must be non-negative, but was: %s",
        bytes);
    return new ScoreExamples<>(modelDir, idFn, featuresFn, topK, strategy, bytes,
        unknownFeatures);
  }

  /** What to do with feature indices above the model's D (default {@link UnknownFeatures#FAIL}). */
  public ScoreExamples<T> withUnknownFeatures(UnknownFeatures policy) {
    Checks.checkArgument(policy != null, "unknown-features policy must not be null");
    return new ScoreExamples<>(modelDir, idFn, featuresFn, topK, strategy, maxSideInputBytes,
        policy);
  }

  public String modelDir() {
    return modelDir;
  }

  public int topK() {
    return topK;
  }

  /** The strategy as set ({@link Strategy#AUTO} unless overridden). */
  public Strategy strategy() {
    return strategy;
  }

  public long maxSideInputBytes() {
    return maxSideInputBytes;
  }

  public UnknownFeatures unknownFeatures() {
    return unknownFeatures;
  }

  /** The strategy this transform uses for {@code model}: {@link #strategy()}, AUTO resolved. */
  public Strategy strategyFor(LinearModelFiles.Info model) {
    if (strategy != Strategy.AUTO) {
      return strategy;
    }
    return model.weightBytes() <= maxSideInputBytes ? Strategy.SIDE_INPUT : Strategy.JOIN_BY_BLOCK;
  }

  @Override
  public PCollection<Prediction> expand(PCollection<T> input) {
    if (NetworkModelFiles.isNetwork(modelDir)) {
      return scoreWithNetwork(input);
    }
    LinearModelFiles.Info model;
    try {
      model = LinearModelFiles.readInfo(modelDir);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the model at " + modelDir + ": "
          + e.getMessage(), e);
    }
    Checks.checkArgument(model.isSoftmax(), "ScoreExamples scores softmax models and networks,"
        + " but the model at %s is a %s model", modelDir, model.model());
    Checks.checkArgument(topK <= model.classes(),
        "topK must be at most the model's %s classes, but was: %s", model.classes(), topK);
    PCollection<KV<Long, SparseFeatures>> features = input
        .apply("ExtractFeatures", ParDo.of(new ExtractFeaturesFn<>(idFn, featuresFn,
            model.features(), unknownFeatures)))
        .setCoder(KvCoder.of(VarLongCoder.of(), SparseFeatures.SparseFeaturesCoder.of()));
    List<Integer> blockIds = new ArrayList<>();
    for (int b = 0; b < model.blockCount(); b++) {
      blockIds.add(b);
    }
    PCollection<KV<Integer, double[]>> blocks = PBegin.in(input.getPipeline())
        .apply("BlockIds", Create.of(blockIds).withCoder(VarIntCoder.of()))
        .apply("SpreadBlockIds", Reshuffle.viaRandomKey())
        .apply("ReadModelBlocks", ParDo.of(new ReadBlockFn(model)))
        .setCoder(KvCoder.of(VarIntCoder.of(), DoubleArrayCoder.of()));
    PCollection<Prediction> predictions = strategyFor(model) == Strategy.SIDE_INPUT
        ? scoreWithSideInput(features, blocks, model)
        : scoreByBlock(features, blocks, model);
    return predictions.setCoder(Prediction.PredictionCoder.of());
  }

  /**
   * A network ({@code train --model mlp}): its parameters are small next to a text model's W, so
   * each worker reads the whole network once ({@code @Setup}) and scores the examples where they
   * are, one at a time ({@link NetworkScoring#predict}); the strategy does not apply.
   */
  private PCollection<Prediction> scoreWithNetwork(PCollection<T> input) {
    NetworkModelFiles.Network network;
    try {
      network = NetworkModelFiles.read(modelDir); // fails here, at construction, on a bad model
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the model at " + modelDir + ": "
          + e.getMessage(), e);
    }
    Checks.checkArgument(network.network().loss() == org.lbfgsbeam.core.nn.Loss.SOFTMAX_CROSS_ENTROPY,
        "ScoreExamples gives class probabilities, which a squared-error network (%s) does not"
            + " have", modelDir);
    int classes = network.labels().length;
    Checks.checkArgument(topK <= classes, "topK must be at most the model's %s classes, but was: %s",
        classes, topK);
    return input
        .apply("ExtractFeatures", ParDo.of(new ExtractFeaturesFn<>(idFn, featuresFn,
            network.network().inputs(0), unknownFeatures)))
        .setCoder(KvCoder.of(VarLongCoder.of(), SparseFeatures.SparseFeaturesCoder.of()))
        .apply("ScoreWithNetwork", ParDo.of(new ScoreWithNetworkFn(modelDir, topK)))
        .setCoder(Prediction.PredictionCoder.of());
  }

  /** An example's top k labels and probabilities from the network read once per worker. */
  private static final class ScoreWithNetworkFn
      extends DoFn<KV<Long, SparseFeatures>, Prediction> {
    private final String modelDir;
    private final int topK;
    private transient NetworkModelFiles.Network network;

    ScoreWithNetworkFn(String modelDir, int topK) {
      this.modelDir = modelDir;
      this.topK = topK;
    }

    @Setup
    public void setup() throws IOException {
      network = NetworkModelFiles.read(modelDir);
    }

    @ProcessElement
    public void process(@Element KV<Long, SparseFeatures> e, OutputReceiver<Prediction> out) {
      out.output(NetworkScoring.predict(network, e.getKey(), e.getValue(), topK));
    }
  }

  private PCollection<Prediction> scoreWithSideInput(PCollection<KV<Long, SparseFeatures>> features,
      PCollection<KV<Integer, double[]>> blocks, LinearModelFiles.Info model) {
    PCollectionView<double[][]> weights = blocks.apply("CollectModelInBlockOrder",
        Combine.globally(BlocksInNodeOrder.collect()).asSingletonView());
    return features.apply("ScoreWithModelSideInput",
        ParDo.of(new ScoreWithSideInputFn(model, topK, weights)).withSideInputs(weights));
  }

  private PCollection<Prediction> scoreByBlock(PCollection<KV<Long, SparseFeatures>> features,
      PCollection<KV<Integer, double[]>> blocks, LinearModelFiles.Info model) {
    PCollection<KV<Integer, KV<Long, SparseFeatures>>> replicated = features
        .apply("ReplicateToBlocks", ParDo.of(new ReplicateFn(model.blockCount())))
        .setCoder(KvCoder.of(VarIntCoder.of(),
            KvCoder.of(VarLongCoder.of(), SparseFeatures.SparseFeaturesCoder.of())));
    TupleTag<double[]> weightsTag = new TupleTag<>("weights");
    TupleTag<KV<Long, SparseFeatures>> examplesTag = new TupleTag<>("examples");
    return KeyedPCollectionTuple.of(weightsTag, blocks)
        .and(examplesTag, replicated)
        .apply("JoinByBlock", CoGroupByKey.create())
        .apply("ScoreBlock", ParDo.of(new ScoreBlockFn(model, topK, weightsTag, examplesTag)))
        .setCoder(KvCoder.of(VarLongCoder.of(), SoftmaxScoring.BlockScoresCoder.of()))
        .apply("GroupByExample", GroupByKey.create())
        .apply("CombineInBlockOrder", ParDo.of(new CombineBlocksFn(model, topK)));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("modelDir", modelDir).withLabel("Model directory"))
        .add(DisplayData.item("topK", topK).withLabel("Top k labels"))
        .add(DisplayData.item("strategy", strategy.toString()).withLabel("Strategy"))
        .add(DisplayData.item("maxSideInputBytes", maxSideInputBytes)
            .withLabel("Largest model broadcast as a side input (bytes)"))
        .add(DisplayData.item("unknownFeatures", unknownFeatures.toString())
            .withLabel("Features beyond the model"));
  }

  /** The key of a keyed example: its id (also for {@link ScoreWithModelDirectory}). */
  static final class KeyOf implements SerializableFunction<KV<Long, LabeledExample>, Long> {
    @Override
    public Long apply(KV<Long, LabeledExample> kv) {
      return kv.getKey();
    }
  }

  /** The features of a keyed example (also for {@link ScoreWithModelDirectory}). */
  static final class FeaturesOf
      implements SerializableFunction<KV<Long, LabeledExample>, SparseFeatures> {
    @Override
    public SparseFeatures apply(KV<Long, LabeledExample> kv) {
      LabeledExample e = kv.getValue();
      Checks.checkArgument(e != null, "example %s is null", kv.getKey());
      return e.features();
    }
  }

  /**
   * T &rarr; (id, features), the features checked against D (or cut to D); with D = {@code
   * Integer.MAX_VALUE} unchecked ({@link ScoreWithModelDirectory}).
   */
  static final class ExtractFeaturesFn<T> extends DoFn<T, KV<Long, SparseFeatures>> {
    private final SerializableFunction<T, Long> idFn;
    private final SerializableFunction<T, SparseFeatures> featuresFn;
    private final int features;
    private final UnknownFeatures unknownFeatures;

    ExtractFeaturesFn(SerializableFunction<T, Long> idFn,
        SerializableFunction<T, SparseFeatures> featuresFn, int features,
        UnknownFeatures unknownFeatures) {
      this.idFn = idFn;
      this.featuresFn = featuresFn;
      this.features = features;
      this.unknownFeatures = unknownFeatures;
    }

    @ProcessElement
    public void process(@Element T element, OutputReceiver<KV<Long, SparseFeatures>> out) {
      Long id = idFn.apply(element);
      Checks.checkArgument(id != null, "example id must not be null, for: %s", element);
      SparseFeatures x = featuresFn.apply(element);
      Checks.checkArgument(x != null, "features of example %s must not be null", id);
      if (x.maxIndex() > features) {
        Checks.checkArgument(unknownFeatures == UnknownFeatures.IGNORE,
            "example %s has feature index %s, beyond the model's %s features"
                + " (withUnknownFeatures(IGNORE) drops such features)", id, x.maxIndex(),
            features);
        x = x.truncatedTo(features);
      }
      out.output(KV.of(id, x));
    }
  }

  /** Block b &rarr; (b, W's rows of block b, row-major). */
  private static final class ReadBlockFn extends DoFn<Integer, KV<Integer, double[]>> {
    private final LinearModelFiles.Info model;

    ReadBlockFn(LinearModelFiles.Info model) {
      this.model = model;
    }

    @ProcessElement
    public void process(@Element Integer block, OutputReceiver<KV<Integer, double[]>> out)
        throws IOException {
      out.output(KV.of(block, LinearModelFiles.readBlock(model, block)));
    }
  }

  /** Scores each example against every block of the side input, combined in block order. */
  private static final class ScoreWithSideInputFn extends DoFn<KV<Long, SparseFeatures>, Prediction> {
    private final LinearModelFiles.Info model;
    private final int[] labels;
    private final int topK;
    private final PCollectionView<double[][]> weights;

    ScoreWithSideInputFn(LinearModelFiles.Info model, int topK,
        PCollectionView<double[][]> weights) {
      this.model = model;
      this.labels = model.labels();
      this.topK = topK;
      this.weights = weights;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      double[][] w = c.sideInput(weights);
      Checks.checkState(w.length == model.blockCount(), "the side input holds %s of the %s blocks",
          w.length, model.blockCount());
      KV<Long, SparseFeatures> e = c.element();
      BlockScores[] partials = new BlockScores[w.length];
      for (int b = 0; b < w.length; b++) {
        LinearModelFiles.Block block = model.blocks().get(b);
        partials[b] = SoftmaxScoring.blockScores(b, block.firstRow(), block.rows(),
            model.features(), w[b], e.getValue(), topK);
      }
      c.output(SoftmaxScoring.combine(e.getKey(), partials, labels, topK));
    }
  }

  /** (id, x) &rarr; (b, (id, x)) for every block b. */
  private static final class ReplicateFn
      extends DoFn<KV<Long, SparseFeatures>, KV<Integer, KV<Long, SparseFeatures>>> {
    private final int blocks;

    ReplicateFn(int blocks) {
      this.blocks = blocks;
    }

    @ProcessElement
    public void process(@Element KV<Long, SparseFeatures> e,
        OutputReceiver<KV<Integer, KV<Long, SparseFeatures>>> out) {
      for (int b = 0; b < blocks; b++) {
        out.output(KV.of(b, e));
      }
    }
  }

  /** One block and all examples &rarr; (id, that block's partial statistics) per example. */
  private static final class ScoreBlockFn
      extends DoFn<KV<Integer, CoGbkResult>, KV<Long, BlockScores>> {
    private final LinearModelFiles.Info model;
    private final int topK;
    private final TupleTag<double[]> weightsTag;
    private final TupleTag<KV<Long, SparseFeatures>> examplesTag;

    ScoreBlockFn(LinearModelFiles.Info model, int topK, TupleTag<double[]> weightsTag,
        TupleTag<KV<Long, SparseFeatures>> examplesTag) {
      this.model = model;
      this.topK = topK;
      this.weightsTag = weightsTag;
      this.examplesTag = examplesTag;
    }

    @ProcessElement
    public void process(@Element KV<Integer, CoGbkResult> joined,
        OutputReceiver<KV<Long, BlockScores>> out) {
      int b = joined.getKey();
      Iterable<KV<Long, SparseFeatures>> examples = joined.getValue().getAll(examplesTag);
      if (!examples.iterator().hasNext()) {
        return;
      }
      double[] w = joined.getValue().getOnly(weightsTag);
      LinearModelFiles.Block block = model.blocks().get(b);
      for (KV<Long, SparseFeatures> e : examples) {
        out.output(KV.of(e.getKey(), SoftmaxScoring.blockScores(b, block.firstRow(), block.rows(),
            model.features(), w, e.getValue(), topK)));
      }
    }
  }

  /** (id, the P partials in any order) &rarr; the prediction, combined in block order. */
  private static final class CombineBlocksFn
      extends DoFn<KV<Long, Iterable<BlockScores>>, Prediction> {
    private final LinearModelFiles.Info model;
    private final int[] labels;
    private final int topK;

    CombineBlocksFn(LinearModelFiles.Info model, int topK) {
      this.model = model;
      this.labels = model.labels();
      this.topK = topK;
    }

    @ProcessElement
    public void process(@Element KV<Long, Iterable<BlockScores>> e, OutputReceiver<Prediction> out) {
      long id = e.getKey();
      BlockScores[] inOrder = new BlockScores[model.blockCount()];
      for (BlockScores s : e.getValue()) {
        Checks.checkArgument(inOrder[s.block()] == null,
            "example id %s is not unique: block %s scored it twice (ids must be unique)", id,
            s.block());
        inOrder[s.block()] = s;
      }
      for (int b = 0; b < inOrder.length; b++) {
        Checks.checkState(inOrder[b] != null, "example %s has no scores from block %s", id, b);
      }
      out.output(SoftmaxScoring.combine(id, inOrder, labels, topK));
    }
  }
}
