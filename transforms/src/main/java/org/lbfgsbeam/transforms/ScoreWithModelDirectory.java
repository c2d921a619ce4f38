package org.lbfgsbeam.transforms;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.transforms.SoftmaxScoring.BlockScores;

/**
 * {@link ScoreExamples} for a model that exists only once the pipeline runs, such as the one a
 * training step earlier in the same pipeline writes: the model directory arrives as a singleton
 * side input ({@code PCollectionView<String>}), and each worker reads the model from it, whole,
 * before it scores its first example. Made by {@link ScoreExamples#withModelDirectory}.
 *
 * <pre>{@code
 * PCollectionView<String> modelDir = ...;  // e.g. TrainedModel.modelDirectoryView(...)
 * examples.apply("Score", ScoreExamples.withModelDirectory(modelDir).withTopK(3));
 * }</pre>
 *
 * <p>A softmax model is scored with the kernels of {@link ScoreExamples}' side-input strategy
 * ({@link SoftmaxScoring}, class blocks combined in block order), a network as
 * {@link ScoreExamples} scores one, so the predictions are the same bits as
 * {@code ScoreExamples.withModel(dir)} gives for the same directory.
 *
 * <p>What it does not do, because nothing about the model is known when the pipeline is built:
 * <ul>
 *   <li>no {@link ScoreExamples.Strategy#JOIN_BY_BLOCK}: every worker holds the whole model
 *       (K&middot;D&middot;8 bytes for a softmax model) once per DoFn instance, so the model must
 *       fit in a worker's memory; a model too large for that needs {@code withModel(dir)} in a
 *       pipeline of its own;
 *   <li>no check at construction: a missing model, a k above the model's classes or a logistic or
 *       least-squares model fail the pipeline when the first example is scored;
 *   <li>a directory rewritten while the pipeline runs is not read again by a worker that has read
 *       it.
 * </ul>
 *
 * @param <T> the input elements
 */
public final class ScoreWithModelDirectory<T>
    extends PTransform<PCollection<T>, PCollection<Prediction>> {
  /** {@link #topK()} of {@link #withAllLabels()}. */
  public static final int ALL_LABELS = 0;

  private final PCollectionView<String> modelDirectory;
  private final SerializableFunction<T, Long> idFn;
  private final SerializableFunction<T, SparseFeatures> featuresFn;
  private final int topK;
  private final ScoreExamples.UnknownFeatures unknownFeatures;

  private ScoreWithModelDirectory(PCollectionView<String> modelDirectory,
      SerializableFunction<T, Long> idFn, SerializableFunction<T, SparseFeatures> featuresFn,
      int topK, ScoreExamples.UnknownFeatures unknownFeatures) {
    this.modelDirectory = modelDirectory;
    this.idFn = idFn;
    this.featuresFn = featuresFn;
    this.topK = topK;
    this.unknownFeatures = unknownFeatures;
  }

  /** {@code KV<id, example>}s, top 1, unknown features fail; see {@link ScoreExamples}. */
  static ScoreWithModelDirectory<KV<Long, LabeledExample>> of(
      PCollectionView<String> modelDirectory) {
    Checks.checkArgument(modelDirectory != null, "model directory view must not be null");
    return new ScoreWithModelDirectory<>(modelDirectory, new ScoreExamples.KeyOf(), new ScoreExamples.FeaturesOf(), 1,
        ScoreExamples.UnknownFeatures.FAIL);
  }

  /** As {@link ScoreExamples#withInput}. */
  public <NewT> ScoreWithModelDirectory<NewT> withInput(SerializableFunction<NewT, Long> id,
      SerializableFunction<NewT, SparseFeatures> features) {
    Checks.checkArgument(id != null, "id function must not be null");
    Checks.checkArgument(features != null, "features function must not be null");
    return new ScoreWithModelDirectory<>(modelDirectory, id, features, topK, unknownFeatures);
  }

  /** The {@code k} most probable labels; a k above the model's classes fails when scoring. */
  public ScoreWithModelDirectory<T> withTopK(int k) {
    Checks.checkArgument(k >= 1, "topK must be positive, but was: %s", k);
    return new ScoreWithModelDirectory<>(modelDirectory, idFn, featuresFn, k, unknownFeatures);
  }

  /**
   * Every label of the model with its probability, most probable first: the top K, for a K not
   * known when the pipeline is built (what a log-loss over the true labels needs).
   */
  public ScoreWithModelDirectory<T> withAllLabels() {
    return new ScoreWithModelDirectory<>(modelDirectory, idFn, featuresFn, ALL_LABELS,
        unknownFeatures);
  }

  /** As {@link ScoreExamples#withUnknownFeatures}. */
  public ScoreWithModelDirectory<T> withUnknownFeatures(ScoreExamples.UnknownFeatures policy) {
    Checks.checkArgument(policy != null, "unknown-features policy must not be null");
    return new ScoreWithModelDirectory<>(modelDirectory, idFn, featuresFn, topK, policy);
  }

  /** k, or {@link #ALL_LABELS}. */
  public int topK() {
    return topK;
  }

  public ScoreExamples.UnknownFeatures unknownFeatures() {
    return unknownFeatures;
  }

  @Override
  public PCollection<Prediction> expand(PCollection<T> input) {
    return input
        .apply("ExtractFeatures", ParDo.of(
            // D is not known yet: the scorer checks the features against the model it reads.
            new ScoreExamples.ExtractFeaturesFn<>(idFn, featuresFn, Integer.MAX_VALUE,
                ScoreExamples.UnknownFeatures.FAIL)))
        .setCoder(KvCoder.of(VarLongCoder.of(), SparseFeatures.SparseFeaturesCoder.of()))
        .apply("ScoreWithModelFromSideInput", ParDo.of(
            new ScoreFn(modelDirectory, topK, unknownFeatures)).withSideInputs(modelDirectory))
        .setCoder(Prediction.PredictionCoder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("modelDirectory", modelDirectory.getTagInternal().getId())
            .withLabel("Model directory (side input)"))
        .add(DisplayData.item("topK", topK == ALL_LABELS ? "all" : Integer.toString(topK))
            .withLabel("Top k labels"))
        .add(DisplayData.item("unknownFeatures", unknownFeatures.toString())
            .withLabel("Features beyond the model"));
  }

  /**
   * Reads the model named by the side input once per DoFn instance (again only if the side input
   * names another directory), then scores each example where it is.
   */
  private static final class ScoreFn extends DoFn<KV<Long, SparseFeatures>, Prediction> {
    private final PCollectionView<String> modelDirectory;
    private final int topK;
    private final ScoreExamples.UnknownFeatures unknownFeatures;
    private transient String loaded;
    private transient int k;
    private transient LinearModelFiles.Info softmax;
    private transient double[][] weights;
    private transient int[] labels;
    private transient NetworkModelFiles.Network network;

    ScoreFn(PCollectionView<String> modelDirectory, int topK,
        ScoreExamples.UnknownFeatures unknownFeatures) {
      this.modelDirectory = modelDirectory;
      this.topK = topK;
      this.unknownFeatures = unknownFeatures;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      String dir = c.sideInput(modelDirectory);
      if (!dir.equals(loaded)) {
        load(dir);
      }
      KV<Long, SparseFeatures> e = c.element();
      int features = softmax != null ? softmax.features() : network.network().inputs(0);
      SparseFeatures x = e.getValue();
      if (x.maxIndex() > features) {
        Checks.checkArgument(unknownFeatures == ScoreExamples.UnknownFeatures.IGNORE,
            "example %s has feature index %s, beyond the model's %s features"
                + " (withUnknownFeatures(IGNORE) drops such features)", e.getKey(), x.maxIndex(),
            features);
        x = x.truncatedTo(features);
      }
      c.output(softmax != null ? scoreSoftmax(e.getKey(), x) : scoreNetwork(e.getKey(), x));
    }

    private void load(String dir) {
      softmax = null;
      weights = null;
      network = null;
      try {
        if (NetworkModelFiles.isNetwork(dir)) {
          network = NetworkModelFiles.read(dir);
          Checks.checkArgument(
              network.network().loss() == org.lbfgsbeam.core.nn.Loss.SOFTMAX_CROSS_ENTROPY,
              "ScoreExamples gives class probabilities, which a squared-error network (%s) does"
                  + " not have", dir);
          k = resolveTopK(network.labels().length);
        } else {
          LinearModelFiles.Info info = LinearModelFiles.readInfo(dir);
          k = resolveTopK(info.classes());
          double[][] w = new double[info.blockCount()][];
          for (int b = 0; b < w.length; b++) {
            w[b] = LinearModelFiles.readBlock(info, b);
          }
          softmax = info;
          weights = w;
          labels = info.labels();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the model at " + dir + ": " + e.getMessage(),
            e);
      }
      loaded = dir;
    }

    private int resolveTopK(int classes) {
      Checks.checkArgument(topK <= classes, "topK must be at most the model's %s classes, but was:"
          + " %s", classes, topK);
      return topK == ALL_LABELS ? classes : topK;
    }

    private Prediction scoreSoftmax(long id, SparseFeatures x) {
      BlockScores[] partials = new BlockScores[weights.length];
      for (int b = 0; b < weights.length; b++) {
        LinearModelFiles.Block block = softmax.blocks().get(b);
        partials[b] = SoftmaxScoring.blockScores(b, block.firstRow(), block.rows(),
            softmax.features(), weights[b], x, k);
      }
      return SoftmaxScoring.combine(id, partials, labels, k);
    }

    /** As {@code ScoreExamples} scores a network: {@link NetworkScoring#predict}. */
    private Prediction scoreNetwork(long id, SparseFeatures f) {
      return NetworkScoring.predict(network, id, f, k);
    }
  }
}
