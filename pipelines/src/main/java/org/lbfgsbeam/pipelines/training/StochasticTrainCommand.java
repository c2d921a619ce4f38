package org.lbfgsbeam.pipelines.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.kfac.KfacOptimizer;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.Blas;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.core.stochastic.BlockLayout;
import org.lbfgsbeam.core.stochastic.LearningRateSchedule;
import org.lbfgsbeam.core.stochastic.MiniBatchTrainer;
import org.lbfgsbeam.core.stochastic.StochasticOptimizer;
import org.lbfgsbeam.pipelines.cli.CommandLine;
import org.lbfgsbeam.pipelines.cli.StochasticTrainOptions;
import org.lbfgsbeam.pipelines.data.DataFiles;
import org.lbfgsbeam.pipelines.flink.FlinkRestEndpoint;
import org.lbfgsbeam.pipelines.flink.FlinkSession;
import org.lbfgsbeam.pipelines.flink.FlinkStochastic;
import org.lbfgsbeam.transforms.BeamStochastic;

/**
 * {@code train --model mlp --optimizer sgd|adam|mlbfgs|kfac}: stochastic training of a network
 * ({@link MiniBatchTrainer}) for a number of epochs, on the {@code local} runner (or {@code flink}:
 * {@link FlinkStochastic}; {@code direct}: {@link BeamStochastic}), writing the run
 * directory: {@code summary.json}, {@code trace.csv} (a row per epoch: epoch, steps, trainLoss,
 * validationLoss, validationAccuracy, seconds), {@code charts/} and {@code model/} (the network, as
 * {@code --optimizer lbfgs} writes it). Bad input and options are reported before anything is
 * written.
 */
public final class StochasticTrainCommand {
  /** Martens' (ICML 2010) nonzero incoming weights per unit for {@code --init sparse}. */
  static final int SPARSE_CONNECTIONS = 15;

  private StochasticTrainCommand() {}

  /**
   * Trains as {@code o} says. A run that replaces a non-empty {@code --output} ({@code
   * --overwrite}) writes beside it and takes its place only once it has finished ({@link
   * RunDirectory}).
   */
  public static MiniBatchTrainer.Result run(StochasticTrainOptions o, PrintStream progress)
      throws Exception {
    try (RunDirectory dir = RunDirectory.open(o.output(), false)) {
      MiniBatchTrainer.Result result = run(o, dir, progress);
      dir.commit(progress);
      return result;
    }
  }

  /** The run, written into {@code runDirectory.path()}; messages name {@code --output}. */
  private static MiniBatchTrainer.Result run(StochasticTrainOptions o, RunDirectory runDirectory,
      PrintStream progress) throws Exception {
    String runner = o.runner();
    String flinkMaster = o.flinkMaster();
    int threads = o.threads();
    if (runner.equals("flink") && !flinkMaster.equals(FlinkSession.EMBEDDED)) {
      // A cluster that is not there, or too small, is said before the data is read.
      FlinkRestEndpoint.at(flinkMaster).awaitSlots(threads, "--threads",
          FlinkRestEndpoint.SLOT_WAIT, progress);
    }
    Path data = o.data();
    Path out = runDirectory.output();
    Path dir = runDirectory.path(); // out itself unless the run replaces one
    int epochs = o.epochs();
    int batchSize = o.batchSize();
    int shards = o.shards();
    long seed = o.seed();
    int maxBlock = o.maxBlockSize();
    double lr = o.learningRate();
    List<Integer> hidden = o.hidden();
    Activation activation = o.activation();
    Loss loss = o.loss();
    String targets = o.targets();
    boolean reconstruct = o.reconstruct();
    if (Files.exists(out) && !TrainCommand.isEmptyDirectory(out) && !o.overwrite()) {
      throw new CommandLine.UsageException("output " + out + " exists and is not empty"
          + " (use --overwrite to replace it)");
    }
    // Read and check everything before writing anything.
    Path labels = o.labels();
    SparseDataset train = DataFiles.read(data, labels);
    if (!reconstruct) { // an autoencoder's targets are its inputs: any labels will do
      DataFiles.requireTwoClasses(train, labels != null ? labels : data, "a network");
    }
    SparseDataset validation = o.validation() != null ? DataFiles.alignTo(DataFiles.read(
        o.validation(), null), train.classLabels(), train.numFeatures(), o.validation()) : null;
    int[] sizes = new int[hidden.size() + 2];
    sizes[0] = train.numFeatures();
    for (int l = 0; l < hidden.size(); l++) {
      sizes[l + 1] = hidden.get(l);
    }
    sizes[sizes.length - 1] = reconstruct ? train.numFeatures() : train.numClasses();
    MultilayerPerceptron net;
    try {
      net = MultilayerPerceptron.of(sizes, activation, loss);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.UsageException(e.getMessage());
    }
    String init = o.init();
    double[] theta0 = init.equals("sparse")
        ? net.sparseInitialParameters(seed, SPARSE_CONNECTIONS) : net.initialParameters(seed);
    DenseBatch trainSet = withTargets(whole(train), loss, reconstruct, train.numClasses());
    DenseBatch validationSet = validation == null ? null
        : withTargets(whole(validation), loss, reconstruct, train.numClasses());
    // An autoencoder's outputs are the input features: output c stands for feature c.
    int[] outputLabels = reconstruct ? java.util.stream.IntStream.range(0, sizes[sizes.length - 1])
        .toArray() : train.classLabels();
    int stepsPerEpoch = (train.numExamples() + batchSize - 1) / batchSize;
    LearningRateSchedule schedule = o.learningRateSchedule((long) epochs * stepsPerEpoch,
        stepsPerEpoch);
    StochasticOptimizer optimizer = o.optimizer(net);
    BlockLayout layout = optimizer instanceof KfacOptimizer k ? k.layout()
        : BlockLayout.layers(net, maxBlock);
    MiniBatchTrainer.Options options = new MiniBatchTrainer.Options(epochs, batchSize, seed,
        shards, threads, schedule);

    runDirectory.create();
    List<MiniBatchTrainer.EpochRow> rows = new ArrayList<>();
    progress.printf(Locale.ROOT, "%s: %s, %d parameters in %d blocks, %d epochs of %d steps"
        + " (batches of %d in %d shards), BLAS %s%n", optimizer.name(),
        java.util.Arrays.toString(sizes), net.parameterCount(), layout.blocks(), epochs,
        stepsPerEpoch, batchSize, shards, Blas.implementationName());
    MiniBatchTrainer.Result result;
    MiniBatchTrainer.EpochListener listener = (row, theta) -> {
      rows.add(row);
      if (Double.isNaN(row.validationLoss())) { // no --validation
        progress.printf(Locale.ROOT, "epoch %3d  steps %6d  train loss %.6f  %.2fs%n",
            row.epoch(), row.steps(), row.trainLoss(), row.seconds());
      } else {
        progress.printf(Locale.ROOT, "epoch %3d  steps %6d  train loss %.6f  validation loss"
            + " %.6f  accuracy %.4f  %.2fs%n", row.epoch(), row.steps(), row.trainLoss(),
            row.validationLoss(), row.validationAccuracy(), row.seconds());
      }
    };
    long started = System.nanoTime();
    Path work = dir.resolve("runner-work");
    try {
      if (runner.equals("flink")) {
        progress.printf(Locale.ROOT, "flink: one job on %s, parallelism %d%n", flinkMaster,
            threads);
        result = FlinkStochastic.train(net, theta0, trainSet, validationSet,
            optimizer, layout, options, listener, flinkMaster, threads, work.toString());
      } else if (runner.equals("direct")) {
        progress.println("direct: a Beam pipeline per step (for tests of a few steps)");
        result = BeamStochastic.train(net, theta0, trainSet, validationSet,
            optimizer, layout, options, listener, TrainCommand.directOptions(threads),
            work.toString());
      } else {
        result = MiniBatchTrainer.train(net, theta0, trainSet, validationSet,
            optimizer, layout, options, listener);
      }
    } catch (IllegalStateException e) {
      if (runDirectory.replaces()) { // a run that fails replaces nothing, and is not kept
        throw new CommandLine.UsageException(e.getMessage() + "; " + out + " still holds the"
            + " earlier run (--overwrite replaces it only with a run that finishes)");
      }
      writeTrace(dir.resolve("trace.csv"), rows); // what was measured before it diverged
      throw new CommandLine.UsageException(e.getMessage() + "; the trace so far is in " + out);
    } finally {
      if (Files.exists(work)) {
        TrainCommand.deleteRecursively(work); // the staged data and the job's files
      }
    }
    Path modelTmp = dir.resolve("model.tmp");
    org.lbfgsbeam.transforms.NetworkModelFiles.write(modelTmp,
        new org.lbfgsbeam.transforms.NetworkModelFiles.Network(net, result.theta(), outputLabels, 0));
    Files.move(modelTmp, dir.resolve("model"), StandardCopyOption.ATOMIC_MOVE);
    writeTrace(dir.resolve("trace.csv"), result.trace());
    ObjectMapper json = StateJson.mapper();
    ObjectNode s = json.createObjectNode();
    MiniBatchTrainer.EpochRow last = result.trace().get(result.trace().size() - 1);
    s.put("model", "mlp");
    s.put("loss", loss == Loss.SQUARED_ERROR ? "squared" : "cross-entropy");
    s.put("targets", targets);
    s.put("optimizer", optimizer.name());
    s.put("optimizerSettings", optimizer.toString());
    s.put("learningRate", lr);
    s.put("schedule", schedule.toString());
    s.put("epochs", epochs);
    s.put("steps", last.steps());
    s.put("batchSize", batchSize);
    s.put("shards", shards);
    s.put("seed", seed);
    s.put("init", init);
    s.put("trainLoss", last.trainLoss());
    s.put("validationLoss", last.validationLoss());
    s.put("validationAccuracy", last.validationAccuracy());
    s.put("seconds", last.seconds());
    s.put("secondsPerEpoch", last.seconds() / epochs);
    s.put("parameters", net.parameterCount());
    ArrayNode layers = s.putArray("layerSizes");
    for (int size : sizes) {
      layers.add(size);
    }
    s.put("blocks", layout.blocks());
    s.put("optimizerBytes", result.optimizerBytes());
    s.put("optimizerBytesPerBlockMax", result.maxBlockOptimizerBytes());
    s.put("preconditionerFallbacks", result.fallbacks());
    s.put("examples", train.numExamples());
    s.put("runner", runner);
    s.put("wallSeconds", (System.nanoTime() - started) / 1e9);
    s.put("threads", threads);
    s.put("blas", Blas.implementationName());
    s.put("peakRssBytes", TrainCommand.peakRssBytes());
    TrainCommand.writeAtomically(dir.resolve("summary.json"),
        json.writerWithDefaultPrettyPrinter().writeValueAsBytes(s));
    progress.printf(Locale.ROOT, "done: %d epochs in %.2fs (%.2fs per epoch)%s%n", epochs,
        last.seconds(), last.seconds() / epochs, Double.isNaN(last.validationAccuracy()) ? ""
            : String.format(Locale.ROOT, "; validation accuracy %.4f", last.validationAccuracy()));
    try {
      Charts.writeEpochs(dir.resolve("trace.csv"), dir.resolve("charts"));
    } catch (java.io.IOException | RuntimeException e) {
      progress.println("charts not drawn: " + e.getMessage());
    }
    return result;
  }

  /** The trace's CSV header. */
  public static final String HEADER = "epoch,steps,trainLoss,validationLoss,validationAccuracy,seconds";

  private static void writeTrace(Path file, List<MiniBatchTrainer.EpochRow> rows)
      throws java.io.IOException {
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    for (MiniBatchTrainer.EpochRow r : rows) {
      sb.append(r.epoch()).append(',').append(r.steps()).append(',')
          .append(Numbers.exact(r.trainLoss())).append(',')
          .append(Numbers.exact(r.validationLoss())).append(',')
          .append(Numbers.exact(r.validationAccuracy())).append(',')
          .append(String.format(Locale.ROOT, "%.3f", r.seconds())).append('\n');
    }
    TrainCommand.writeAtomically(file, sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The batch a loss trains on: class indices for cross-entropy; for squared error, one-hot targets
   * (K outputs) or, with {@code reconstruct}, the inputs themselves (an autoencoder).
   */
  static DenseBatch withTargets(DenseBatch batch, Loss loss, boolean reconstruct, int classes) {
    if (loss != Loss.SQUARED_ERROR) {
      return batch;
    }
    return reconstruct ? batch.withInputsAsTargets() : batch.withOneHotTargets(classes);
  }

  /** A dataset as one dense batch (row-major examples and their class indices). */
  public static DenseBatch whole(SparseDataset data) {
    return DenseBatch.fromDataset(data, Math.max(1, data.numExamples())).get(0);
  }
}
