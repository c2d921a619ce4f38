package org.lbfgsbeam.pipelines.beam;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.pipelines.training.Training;
import org.lbfgsbeam.transforms.LabeledExample;
import org.lbfgsbeam.transforms.WriteTrainingInput;

/**
 * Trains a model with distributed L-BFGS on the examples of a pipeline in progress, as
 * {@code train} would on the same examples written to files, and emits one {@link TrainedModel}
 * once the model is written, for the next step to use: as a side input
 * ({@link TrainedModel#modelDirectoryView}, which {@code ScoreExamples.withModelDirectory} scores
 * with), or to wait on ({@code Wait.on}).
 *
 * <pre>{@code
 * PCollection<LabeledExample> train = ...;
 * PCollection<TrainedModel> model = train.apply("Train", TrainModel.softmax()
 *     .withLambda(1e-4).withPartitions(2)
 *     .withStagingDirectory("/data/staging")       // the shards train reads
 *     .withOutputDirectory("/data/run"));          // model/, summary.json, trace.csv
 * PCollectionView<String> modelDir = TrainedModel.modelDirectoryView("ModelDir", model);
 * test.apply("Score", ScoreExamples.withModelDirectory(modelDir));
 * }</pre>
 *
 * <p><b>Steps.</b> {@code "StageShards"}: {@link WriteTrainingInput} writes the examples as LIBSVM
 * shards {@code <staging>/part-SSSSS-of-NNNNN}, in parallel, one shard per worker; {@code
 * "ShardsWritten"}: a global count of the written shards, a single element that exists only once
 * every shard is in place; {@code "Optimise"}: on that element, one worker runs {@code train --data
 * '<staging>/part-*-of-*' --output <output>} with this transform's options ({@link Training}) and
 * emits the {@link TrainedModel}. L-BFGS on the full batch is one computation, not a per-element
 * one: it runs where the configured trainer runs it, not in the pipeline's workers:
 * <ul>
 *   <li>{@code withRunner("local")} (the default): in the worker's JVM, the parameter blocks on
 *       {@link #withThreads} threads;
 *   <li>{@code withRunner("flink")}: as one Flink job on the cluster of {@link #withFlinkMaster}
 *       ({@code host:port} of its REST endpoint), or on a mini-cluster embedded in the worker
 *       ({@code [local]}, the default).
 * </ul>
 * Beam's per-superstep runners of {@code train} ({@code direct}, {@code beam-flink}) are not
 * offered: they would start a Beam pipeline per superstep from inside this one.
 *
 * <p><b>Same bits as {@code train}.</b> The run is {@code train}'s own, on the staged shards, with
 * the arguments {@link #trainArguments} lists (also in the display data): running {@code train}
 * with them on the same shards writes the same model, byte for byte. Which example lands in which
 * shard is the pipeline runner's choice, so two pipeline runs can differ in the rounding of sums;
 * a fixed {@link #withNumShards} fixes the names, not the contents.
 *
 * <p><b>Failures.</b> Options are checked when the transform is built, and the directories when it
 * is applied (shards or a run already there fail unless {@link #withOverwrite}). A training that
 * fails (a training set of one class, a cluster that is not there, a run that does not fit the
 * memory) fails the pipeline with {@code train}'s one-line message as the message of a
 * {@link Training.Failed}. A run that stops on its iteration limit is not a failure: see
 * {@link TrainedModel#stopReason()}.
 *
 * <p><b>Limits.</b> {@code train} reads and writes with {@code java.nio}: the staging and output
 * directories must be paths the worker that runs {@code "Optimise"} can read and write (a local
 * disk with a one-machine runner, or a shared mount), not {@code gs://} or {@code s3://}. A
 * retried {@code "Optimise"} finds the output of the failed attempt and fails unless
 * {@link #withOverwrite}. The progress lines go to the worker's stderr.
 */
public final class TrainModel
    extends PTransform<PCollection<LabeledExample>, PCollection<TrainedModel>> {
  /** The runners a training inside a pipeline can use; see the class comment. */
  public static final List<String> RUNNERS = List.of("local", "flink");

  private final String model;
  private final List<Integer> hidden;
  private final double lambda;
  private final int partitions;
  private final int history;
  private final int maxIterations;
  private final double gradientTolerance;
  private final int threads;
  private final String runner;
  private final String flinkMaster;
  private final String stagingDirectory;
  private final String outputDirectory;
  private final int numShards;
  private final boolean overwrite;

  private TrainModel(String model, List<Integer> hidden, double lambda, int partitions,
      int history, int maxIterations, double gradientTolerance, int threads, String runner,
      String flinkMaster, String stagingDirectory, String outputDirectory, int numShards,
      boolean overwrite) {
    this.model = model;
    this.hidden = hidden;
    this.lambda = lambda;
    this.partitions = partitions;
    this.history = history;
    this.maxIterations = maxIterations;
    this.gradientTolerance = gradientTolerance;
    this.threads = threads;
    this.runner = runner;
    this.flinkMaster = flinkMaster;
    this.stagingDirectory = stagingDirectory;
    this.outputDirectory = outputDirectory;
    this.numShards = numShards;
    this.overwrite = overwrite;
  }

  private static TrainModel of(String model, List<Integer> hidden) {
    // 0 (and NaN for the tolerance) stand for train's defaults, which are not repeated here.
    return new TrainModel(model, hidden, 1e-4, 1, 0, 0, Double.NaN, 0, "local", "[local]", null,
        null, 0, false);
  }

  /** A multinomial logistic regression over the labels' classes ({@code train --model softmax}). */
  public static TrainModel softmax() {
    return of("softmax", List.of());
  }

  /** A binary logistic regression ({@code --model logistic}); the labels must be two classes. */
  public static TrainModel logistic() {
    return of("logistic", List.of());
  }

  /** Least squares on the label's value ({@code --model least-squares}). */
  public static TrainModel leastSquares() {
    return of("least-squares", List.of());
  }

  /**
   * A multilayer perceptron ({@code --model mlp --hidden h1,h2,...}), ReLU, cross-entropy, with
   * {@code train}'s defaults for the batches, shards and seed.
   *
   * @param hidden the hidden layer sizes, input side first
   */
  public static TrainModel mlp(int... hidden) {
    Checks.checkArgument(hidden != null && hidden.length > 0,
        "an mlp needs at least one hidden layer, but was: %s", Arrays.toString(hidden));
    for (int h : hidden) {
      Checks.checkArgument(h > 0, "hidden layer sizes must be positive, but were: %s",
          Arrays.toString(hidden));
    }
    return of("mlp", Arrays.stream(hidden).boxed().toList());
  }

  /** L2 regularisation &lambda; ({@code --lambda}, default 1e-4). */
  public TrainModel withLambda(double lambda) {
    Checks.checkArgument(lambda >= 0 && Double.isFinite(lambda),
        "lambda must be finite and >= 0, but was: %s", lambda);
    return new TrainModel(model, hidden, lambda, partitions, history, maxIterations,
        gradientTolerance, threads, runner, flinkMaster, stagingDirectory, outputDirectory,
        numShards, overwrite);
  }

  /** The parameter blocks P ({@code --partitions}, default 1; softmax: at most K). */
  public TrainModel withPartitions(int partitions) {
    Checks.checkArgument(partitions > 0, "partitions must be positive, but was: %s", partitions);
    return new TrainModel(model, hidden, lambda, partitions, history, maxIterations,
        gradientTolerance, threads, runner, flinkMaster, stagingDirectory, outputDirectory,
        numShards, overwrite);
  }

  /** The L-BFGS history m ({@code --history}, default train's). */
  public TrainModel withHistory(int history) {
    Checks.checkArgument(history > 0, "history must be positive, but was: %s", history);
    return new TrainModel(model, hidden, lambda, partitions, history, maxIterations,
        gradientTolerance, threads, runner, flinkMaster, stagingDirectory, outputDirectory,
        numShards, overwrite);
  }

  /** The iteration limit ({@code --max-iterations}, default train's). */
  public TrainModel withMaxIterations(int maxIterations) {
    Checks.checkArgument(maxIterations > 0, "maxIterations must be positive, but was: %s",
        maxIterations);
    return new TrainModel(model, hidden, lambda, partitions, history, maxIterations,
        gradientTolerance, threads, runner, flinkMaster, stagingDirectory, outputDirectory,
        numShards, overwrite);
  }

  /** Stop when max|g| is at most {@code tolerance} ({@code --gradient-tolerance}). */
  public TrainModel withGradientTolerance(double tolerance) {
    Checks.checkArgument(tolerance >= 0 && Double.isFinite(tolerance),
        "gradient tolerance must be finite and >= 0, but was: %s", tolerance);
    return new TrainModel(model, hidden, lambda, partitions, history, maxIterations, tolerance,
        threads, runner, flinkMaster, stagingDirectory, outputDirectory, numShards, overwrite);
  }

  /**
   * The trainer's threads ({@code --threads}: local, the block threads; flink, the job's
   * parallelism); default the worker's processors. The bits of a linear model do not depend on it.
   */
  public TrainModel withThreads(int threads) {
    Checks.checkArgument(threads > 0, "threads must be positive, but was: %s", threads);
    return new TrainModel(model, hidden, lambda, partitions, history, maxIterations,
        gradientTolerance, threads, runner, flinkMaster, stagingDirectory, outputDirectory,
        numShards, overwrite);
  }

  /** Where L-BFGS runs: {@code "local"} (default) or {@code "flink"}; see the class comment. */
  public TrainModel withRunner(String runner) {
    Checks.checkArgument(RUNNERS.contains(runner),
        "runner must be one of %s (a training inside a pipeline), but was: %s", RUNNERS, runner);
    return new TrainModel(model, hidden, lambda, partitions, history, maxIterations,
        gradientTolerance, threads, runner, flinkMaster, stagingDirectory, outputDirectory,
        numShards, overwrite);
  }

  /**
   * The Flink cluster of {@code withRunner("flink")}: {@code "[local]"} (default, a mini-cluster
   * in the worker) or {@code host:port} of its REST endpoint.
   */
  public TrainModel withFlinkMaster(String flinkMaster) {
    Checks.checkArgument(flinkMaster != null
        && (flinkMaster.equals("[local]") || flinkMaster.matches("[^:\\s]+:\\d+")),
        "flinkMaster must be [local] or host:port, but was: %s", flinkMaster);
    return new TrainModel(model, hidden, lambda, partitions, history, maxIterations,
        gradientTolerance, threads, runner, flinkMaster, stagingDirectory, outputDirectory,
        numShards, overwrite);
  }

  /**
   * The directory of the staged shards, {@code <dir>/part-SSSSS-of-NNNNN} (required): a path the
   * worker that trains can read, see the class comment.
   */
  public TrainModel withStagingDirectory(String dir) {
    checkLocalDirectory("staging directory", dir);
    return new TrainModel(model, hidden, lambda, partitions, history, maxIterations,
        gradientTolerance, threads, runner, flinkMaster, dir, outputDirectory, numShards,
        overwrite);
  }

  /**
   * The run directory {@code train --output} writes ({@code model/}, {@code summary.json},
   * {@code trace.csv}); default {@code <staging>/run}.
   */
  public TrainModel withOutputDirectory(String dir) {
    checkLocalDirectory("output directory", dir);
    return new TrainModel(model, hidden, lambda, partitions, history, maxIterations,
        gradientTolerance, threads, runner, flinkMaster, stagingDirectory, dir, numShards,
        overwrite);
  }

  /** The shards to stage, or 0 (default) for the pipeline runner's choice. */
  public TrainModel withNumShards(int numShards) {
    Checks.checkArgument(numShards >= 0,
        "numShards must be positive, or 0 for the runner's choice, but was: %s", numShards);
    return new TrainModel(model, hidden, lambda, partitions, history, maxIterations,
        gradientTolerance, threads, runner, flinkMaster, stagingDirectory, outputDirectory,
        numShards, overwrite);
  }

  /**
   * Whether to replace staged shards and a run already there (default false: fail when applied);
   * the old run is replaced only once the new one has finished ({@code train --overwrite}).
   */
  public TrainModel withOverwrite(boolean overwrite) {
    return new TrainModel(model, hidden, lambda, partitions, history, maxIterations,
        gradientTolerance, threads, runner, flinkMaster, stagingDirectory, outputDirectory,
        numShards, overwrite);
  }

  /** The shard prefix {@link WriteTrainingInput} writes to: {@code <staging>/part}. */
  public String stagingPrefix() {
    checkStaging();
    return stagingDirectory + "/part";
  }

  /** The glob of the staged shards, which {@code train --data} is given. */
  public String shardPattern() {
    return staging().shardPattern();
  }

  /** The run directory: the one set, or {@code <staging>/run}. */
  public String outputDirectory() {
    if (outputDirectory != null) {
      return outputDirectory;
    }
    checkStaging();
    return stagingDirectory + "/run";
  }

  /**
   * The arguments of the {@code train} run this transform makes (after {@code train} on the
   * command line): {@code --data <shardPattern()> --output <outputDirectory()> --model ...}, then
   * only the options set here; the others keep {@code train}'s defaults.
   */
  public List<String> trainArguments() {
    List<String> a = new ArrayList<>(List.of("--data", shardPattern(), "--output",
        outputDirectory(), "--model", model));
    if (!hidden.isEmpty()) {
      a.addAll(List.of("--hidden",
          hidden.stream().map(String::valueOf).collect(Collectors.joining(","))));
    }
    a.addAll(List.of("--lambda", Double.toString(lambda), "--partitions",
        Integer.toString(partitions), "--runner", runner));
    if (runner.equals("flink")) {
      a.addAll(List.of("--flink-master", flinkMaster));
    }
    if (history > 0) {
      a.addAll(List.of("--history", Integer.toString(history)));
    }
    if (maxIterations > 0) {
      a.addAll(List.of("--max-iterations", Integer.toString(maxIterations)));
    }
    if (!Double.isNaN(gradientTolerance)) {
      a.addAll(List.of("--gradient-tolerance", Double.toString(gradientTolerance)));
    }
    if (threads > 0) {
      a.addAll(List.of("--threads", Integer.toString(threads)));
    }
    if (overwrite) {
      a.add("--overwrite");
    }
    return a;
  }

  @Override
  public PCollection<TrainedModel> expand(PCollection<LabeledExample> examples) {
    checkStaging();
    String output = outputDirectory();
    if (!overwrite) {
      Checks.checkArgument(isMissingOrEmpty(Path.of(output)),
          "output %s exists and is not empty (use withOverwrite(true) to replace it)", output);
    }
    return examples
        .apply("StageShards", staging())
        .apply("ShardsWritten", Count.globally())
        .apply("Optimise", ParDo.of(new OptimiseFn(trainArguments(), output)))
        .setCoder(TrainedModel.TrainedModelCoder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("model", model).withLabel("Model"))
        .add(DisplayData.item("lambda", lambda).withLabel("L2 regularisation"))
        .add(DisplayData.item("partitions", partitions).withLabel("Parameter blocks"))
        .add(DisplayData.item("runner", runner).withLabel("Where L-BFGS runs"))
        .addIfNotNull(DisplayData.item("stagingDirectory", stagingDirectory)
            .withLabel("Staged shards"))
        .add(DisplayData.item("numShards", numShards).withLabel("Shards (0: the runner's choice)"))
        .add(DisplayData.item("overwrite", overwrite).withLabel("Replace shards and run"));
    if (!hidden.isEmpty()) {
      builder.add(DisplayData.item("hidden", hidden.toString()).withLabel("Hidden layers"));
    }
    if (runner.equals("flink")) {
      builder.add(DisplayData.item("flinkMaster", flinkMaster).withLabel("Flink cluster"));
    }
    if (stagingDirectory != null) {
      builder.add(DisplayData.item("outputDirectory", outputDirectory()).withLabel("Run directory"))
          .add(DisplayData.item("train", "train " + String.join(" ", trainArguments()))
              .withLabel("The equivalent command"));
    }
  }

  private WriteTrainingInput staging() {
    WriteTrainingInput write = WriteTrainingInput.to(stagingPrefix()).withOverwrite(overwrite);
    return numShards > 0 ? write.withNumShards(numShards) : write;
  }

  private void checkStaging() {
    Checks.checkArgument(stagingDirectory != null,
        "staging directory must be set (withStagingDirectory), but was: %s", stagingDirectory);
  }

  private static void checkLocalDirectory(String what, String dir) {
    Checks.checkArgument(dir != null && !dir.isEmpty(), "%s must be set, but was: %s", what, dir);
    Checks.checkArgument(!dir.contains("://") && !dir.regionMatches(true, 0, "file:", 0, 5),
        "%s must be a path the training worker can open (train reads and writes local or"
            + " mounted files), not a URI, but was: %s", what, dir);
    Checks.checkArgument(!dir.endsWith("/") || dir.equals("/"),
        "%s must not end with /, but was: %s", what, dir);
  }

  private static boolean isMissingOrEmpty(Path dir) {
    if (!Files.exists(dir)) {
      return true;
    }
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The count of the staged shards (one element, once they are all written) &rarr; {@code train}
   * on them &rarr; the {@link TrainedModel}.
   */
  private static final class OptimiseFn extends DoFn<Long, TrainedModel> {
    private final List<String> arguments;
    private final String output;

    OptimiseFn(List<String> arguments, String output) {
      this.arguments = new ArrayList<>(arguments);
      this.output = output;
    }

    @ProcessElement
    public void process(@Element Long shards, OutputReceiver<TrainedModel> out) {
      System.err.printf(Locale.ROOT, "TrainModel: %d shards staged; train %s%n", shards,
          String.join(" ", arguments));
      ObjectNode summary = Training.train(arguments, System.err); // Training.Failed: one line
      out.output(TrainedModel.of(output, summary));
    }
  }
}
