package org.lbfgsbeam.pipelines.beam;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.lbfgsbeam.core.Checks;

/**
 * What {@link TrainModel} emits once training has finished: where the run is (the directory
 * {@code train --output} writes: {@code model/}, {@code summary.json}, {@code trace.csv}) and what
 * its {@code summary.json} says about it. The weights stay in the model directory, read by whoever
 * uses them ({@code ScoreExamples.withModelDirectory}, {@code evaluate}, {@code predict}); this value
 * is small, so that it can be a side input or be waited on.
 *
 * <p>Immutable; {@link TrainedModelCoder} is its deterministic default coder (no Java
 * serialization).
 */
@DefaultCoder(TrainedModel.TrainedModelCoder.class)
public final class TrainedModel {
  private final String runDirectory;
  private final String model;
  private final long classes;
  private final long features;
  private final long examples;
  private final double objective;
  private final long iterations;
  private final long evaluations;
  private final String stopReason;

  private TrainedModel(String runDirectory, String model, long classes, long features,
      long examples, double objective, long iterations, long evaluations, String stopReason) {
    this.runDirectory = runDirectory;
    this.model = model;
    this.classes = classes;
    this.features = features;
    this.examples = examples;
    this.objective = objective;
    this.iterations = iterations;
    this.evaluations = evaluations;
    this.stopReason = stopReason;
  }

  /** The model of the run in {@code runDirectory}, as its {@code summary.json} describes it. */
  static TrainedModel of(String runDirectory, JsonNode summary) {
    Checks.checkArgument(runDirectory != null && !runDirectory.isEmpty(),
        "run directory must be set, but was: %s", runDirectory);
    return new TrainedModel(runDirectory, summary.path("model").asText(),
        summary.path("classes").asLong(), summary.path("features").asLong(),
        summary.path("examples").asLong(), summary.path("objective").asDouble(),
        summary.path("iterations").asLong(), summary.path("evaluations").asLong(),
        summary.path("stopReason").asText());
  }

  /** The run directory: {@code model/}, {@code summary.json}, {@code trace.csv}, {@code charts/}. */
  public String runDirectory() {
    return runDirectory;
  }

  /** {@code runDirectory/model}: what {@code evaluate --model} and {@code ScoreExamples} read. */
  public String modelDirectory() {
    return runDirectory + "/model";
  }

  /** {@code softmax}, {@code logistic}, {@code least-squares} or {@code mlp}. */
  public String model() {
    return model;
  }

  public long classes() {
    return classes;
  }

  public long features() {
    return features;
  }

  public long examples() {
    return examples;
  }

  /** The objective at the returned weights. */
  public double objective() {
    return objective;
  }

  public long iterations() {
    return iterations;
  }

  public long evaluations() {
    return evaluations;
  }

  /** Why L-BFGS stopped ({@code summary.json}'s {@code stopReason}, e.g. {@code GRADIENT_TOLERANCE}). */
  public String stopReason() {
    return stopReason;
  }

  /**
   * The model directory of the single {@code TrainedModel} in {@code trained} as a singleton side
   * input, for {@code ScoreExamples.withModelDirectory}; the steps are named under {@code name}.
   */
  public static PCollectionView<String> modelDirectoryView(String name,
      PCollection<TrainedModel> trained) {
    return trained
        .apply(name + "/ModelDirectory", MapElements.via(new ModelDirectoryOf()))
        .setCoder(StringUtf8Coder.of())
        .apply(name + "/AsSingleton", View.asSingleton());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrainedModel t && t.runDirectory.equals(runDirectory)
        && t.model.equals(model) && t.classes == classes && t.features == features
        && t.examples == examples
        && Double.doubleToLongBits(t.objective) == Double.doubleToLongBits(objective)
        && t.iterations == iterations && t.evaluations == evaluations
        && t.stopReason.equals(stopReason);
  }

  @Override
  public int hashCode() {
    return Objects.hash(runDirectory, model, classes, features, examples, objective, iterations,
        evaluations, stopReason);
  }

  @Override
  public String toString() {
    return "TrainedModel{" + model + " in " + runDirectory + ": K=" + classes + ", D=" + features
        + ", " + examples + " examples, f=" + objective + " after " + iterations + " iterations ("
        + stopReason + ")}";
  }

  private static final class ModelDirectoryOf extends SimpleFunction<TrainedModel, String> {
    @Override
    public String apply(TrainedModel t) {
      return t.modelDirectory();
    }
  }

  /** Strings as UTF-8, counts as varints, the objective as its 8 bytes: deterministic. */
  public static final class TrainedModelCoder extends AtomicCoder<TrainedModel> {
    private static final TrainedModelCoder INSTANCE = new TrainedModelCoder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final DoubleCoder DOUBLE = DoubleCoder.of();

    private TrainedModelCoder() {}

    public static TrainedModelCoder of() {
      return INSTANCE;
    }

    /** What {@code @DefaultCoder} looks up. */
    public static CoderProvider getCoderProvider() {
      return CoderProviders.forCoder(
          org.apache.beam.sdk.values.TypeDescriptor.of(TrainedModel.class), INSTANCE);
    }

    @Override
    public void encode(TrainedModel t, OutputStream out) throws IOException {
      if (t == null) {
        throw new CoderException("cannot encode a null TrainedModel");
      }
      STRING.encode(t.runDirectory, out);
      STRING.encode(t.model, out);
      LONG.encode(t.classes, out);
      LONG.encode(t.features, out);
      LONG.encode(t.examples, out);
      DOUBLE.encode(t.objective, out);
      LONG.encode(t.iterations, out);
      LONG.encode(t.evaluations, out);
      STRING.encode(t.stopReason, out);
    }

    @Override
    public TrainedModel decode(InputStream in) throws IOException {
      return new TrainedModel(STRING.decode(in), STRING.decode(in), LONG.decode(in),
          LONG.decode(in), LONG.decode(in), DOUBLE.decode(in), LONG.decode(in), LONG.decode(in),
          STRING.decode(in));
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }
}
