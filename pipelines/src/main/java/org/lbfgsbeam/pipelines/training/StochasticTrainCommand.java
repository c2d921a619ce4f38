package org.lbfgsbeam.pipelines;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.kfac.KfacOptimizer;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.Blas;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.core.stochastic.Adam;
import org.lbfgsbeam.core.stochastic.BlockLayout;
import org.lbfgsbeam.core.stochastic.LearningRateSchedule;
import org.lbfgsbeam.core.stochastic.MiniBatchTrainer;
import org.lbfgsbeam.core.stochastic.Sgd;
import org.lbfgsbeam.core.stochastic.StochasticOptimizer;
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
final class StochasticTrainCommand {
  static final String HELP = String.join("\n",
      "usage: train --model mlp --optimizer sgd|adam|mlbfgs|kfac --data FILE --output DIR [options]",
      "",
      "Stochastic training of a multilayer perceptron: epochs of mini-batches in an order fixed by",
      "--seed, each mini-batch's gradient summed over --shards in order (the same bits on any",
      "number of threads), the optimiser's state kept per block (a layer, or a slice of one).",
      "",
      "  --data FILE, --labels FILE, --validation FILE, --output DIR, --overwrite, --threads N",
      "                              as for train with --optimizer lbfgs",
      "  --runner NAME               local | flink: one Flink job for the whole training, a",
      "                              superstep per step (two for mlbfgs), the same bits as local;",
      "                              --threads is its parallelism | direct: a Beam pipeline per",
      "                              step, for tests of a few steps (default local)",
      "  --flink-master ADDRESS      [local] (embedded mini-cluster) or host:port of a Flink 1.19",
      "                              cluster's REST endpoint (default [local])",
      "  --hidden SIZES, --activation NAME, --loss NAME",
      "                              the network, as for --model mlp (default 256, relu,",
      "                              cross-entropy; squared: one-hot targets)",
      "  --targets NAME              labels | inputs: squared error against the inputs, the",
      "                              output layer as wide as the input (an autoencoder)",
      "                              (default labels)",
      "  --optimizer NAME            sgd | adam | mlbfgs | kfac (lbfgs: full-batch L-BFGS,",
      "                              train --help); kfac: one block per layer, on every",
      "                              runner",
      "  --epochs N                  passes over the training set (default 20)",
      "  --batch-size N              examples per step (default 128)",
      "  --shards S                  parts of a mini-batch summed in order (default 2)",
      "  --learning-rate LR          (default: sgd 0.05, adam 0.001, mlbfgs 0.05)",
      "  --schedule NAME             constant | cosine (to 0 at the last step) | step (default",
      "                              constant)",
      "  --lr-step-epochs N          step schedule: multiply by --lr-gamma every N epochs",
      "                              (default 10)",
      "  --lr-gamma G                (default 0.1)",
      "  --warmup-steps N            linear warm-up (default 0)",
      "  --momentum M                sgd, mlbfgs: heavy-ball momentum (default 0.9)",
      "  --nesterov                  sgd: Nesterov momentum",
      "  --weight-decay W            L2 on every parameter: sgd, adam coupled to the gradient,",
      "                              adamw decoupled (default 0)",
      "  --decoupled-weight-decay    adam: AdamW's decoupled weight decay",
      MlbfgsOptions.HELP,
      KfacOptions.HELP,
      "  --seed N                    initialisation and mini-batch order (default 1)",
      "  --init NAME                 default (He for relu, Glorot otherwise) | sparse (Martens",
      "                              2010: 15 N(0,1) incoming weights per unit, for deep",
      "                              sigmoid networks) (default default)",
      "  --max-block-size N          blocks: a layer, or slices of at most N parameters",
      "                              (default 100000: the mL-BFGS blocks spread over the",
      "                              threads; sgd and adam do not depend on it)",
      "  --help                      this text");

  /** Martens' (ICML 2010) nonzero incoming weights per unit for {@code --init sparse}. */
  static final int SPARSE_CONNECTIONS = 15;

  private static final Set<String> VALUED = Set.of("data", "labels", "validation", "output",
      "threads", "hidden", "activation", "loss", "optimizer", "epochs", "batch-size", "shards",
      "learning-rate", "schedule", "lr-step-epochs", "lr-gamma", "warmup-steps", "momentum",
      "weight-decay", "seed", "max-block-size", "model", "runner", "history", "pair-period",
      "averaging", "kl-clip", "history-precision", "flink-master", "damping", "factor-decay",
      "factor-interval", "inverse-interval", "inversion", "fisher", "targets", "inverse-precision",
      "init");
  private static final Set<String> FLAGS = Set.of("overwrite", "nesterov",
      "decoupled-weight-decay", "help");

  private StochasticTrainCommand() {}

  /** Whether {@code args} ask for a stochastic optimiser (anything but the default lbfgs). */
  static boolean applies(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--optimizer") && i + 1 < args.size()) {
        return !args.get(i + 1).equals("lbfgs");
      }
      if (a.startsWith("--optimizer=")) {
        return !a.substring("--optimizer=".length()).equals("lbfgs");
      }
    }
    return false;
  }

  /**
   * Trains as {@code args} say. A run that replaces a non-empty {@code --output} ({@code
   * --overwrite}) writes beside it and takes its place only once it has finished ({@link
   * RunDirectory}).
   */
  static MiniBatchTrainer.Result run(List<String> args, PrintStream progress) throws Exception {
    CommandLine cl = CommandLine.parse(args, VALUED, FLAGS);
    try (RunDirectory dir = RunDirectory.open(Paths.get(cl.required("output")), false)) {
      MiniBatchTrainer.Result result = run(cl, dir, progress);
      dir.commit(progress);
      return result;
    }
  }

  /** The run, written into {@code runDirectory.path()}; messages name {@code --output}. */
  private static MiniBatchTrainer.Result run(CommandLine cl, RunDirectory runDirectory,
      PrintStream progress) throws Exception {
    if (!cl.string("model", "mlp").equals("mlp")) {
      throw new CommandLine.UsageException("--optimizer " + cl.string("optimizer", "")
          + " trains networks: it needs --model mlp, not " + cl.string("model", ""));
    }
    String runner = cl.string("runner", "local");
    if (!List.of("local", "direct", "flink").contains(runner)) {
      throw new CommandLine.UsageException("--optimizer " + cl.string("optimizer", "")
          + " runs on --runner local, direct or flink, not " + runner
          + " (full-batch L-BFGS, --optimizer lbfgs, runs on every runner)");
    }
    String flinkMaster = cl.string("flink-master", "[local]");
    if (!flinkMaster.equals("[local]") && !flinkMaster.matches("[^:\\s]+:\\d+")) {
      throw new CommandLine.UsageException("--flink-master must be [local] or host:port, but was: "
          + flinkMaster);
    }
    if (runner.equals("flink") && !flinkMaster.equals(FlinkSession.EMBEDDED)) {
      // A cluster that is not there, or too small, is said before the data is read.
      FlinkRestEndpoint.at(flinkMaster).awaitSlots(positive(cl, "threads",
          Runtime.getRuntime().availableProcessors()), "--threads", FlinkRestEndpoint.SLOT_WAIT,
          progress);
    }
    Path data = Paths.get(cl.required("data"));
    Path out = runDirectory.output();
    Path dir = runDirectory.path(); // out itself unless the run replaces one
    int threads = positive(cl, "threads", Runtime.getRuntime().availableProcessors());
    int epochs = positive(cl, "epochs", 20);
    int batchSize = positive(cl, "batch-size", 128);
    int shards = positive(cl, "shards", 2);
    long seed = cl.integer("seed", 1);
    int maxBlock = positive(cl, "max-block-size", 100_000);
    String name = cl.string("optimizer", "");
    if (!List.of("sgd", "adam", "mlbfgs", "kfac").contains(name)) {
      throw new CommandLine.UsageException(
          "--optimizer must be one of lbfgs, sgd, adam, mlbfgs, kfac, but was: " + name);
    }
    double lr = cl.number("learning-rate", switch (name) {
      case "adam" -> 1e-3;
      default -> 0.05;
    });
    if (!(lr > 0) || !Double.isFinite(lr)) {
      throw new CommandLine.UsageException("--learning-rate must be finite and positive, but was: "
          + lr);
    }
    List<Integer> hidden = TrainOptions.hiddenSizes(cl);
    Activation activation = TrainOptions.activation(cl);
    Loss loss = TrainOptions.loss(cl);
    String targets = cl.string("targets", "labels");
    if (!targets.equals("labels") && !targets.equals("inputs")) {
      throw new CommandLine.UsageException("--targets must be labels or inputs, but was: "
          + targets);
    }
    boolean reconstruct = targets.equals("inputs");
    if (reconstruct && loss != Loss.SQUARED_ERROR) {
      throw new CommandLine.UsageException("--targets inputs (an autoencoder) needs --loss"
          + " squared");
    }
    if (Files.exists(out) && !TrainCommand.isEmptyDirectory(out) && !cl.has("overwrite")) {
      throw new CommandLine.UsageException("output " + out + " exists and is not empty"
          + " (use --overwrite to replace it)");
    }
    // Read and check everything before writing anything.
    Path labels = cl.has("labels") ? Paths.get(cl.required("labels")) : null;
    SparseDataset train = DataFiles.read(data, labels);
    if (!reconstruct) { // an autoencoder's targets are its inputs: any labels will do
      DataFiles.requireTwoClasses(train, labels != null ? labels : data, "a network");
    }
    SparseDataset validation = cl.has("validation") ? DataFiles.alignTo(DataFiles.read(
        Paths.get(cl.required("validation")), null), train.classLabels(), train.numFeatures(),
        Paths.get(cl.required("validation"))) : null;
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
    String init = cl.string("init", "default");
    if (!init.equals("default") && !init.equals("sparse")) {
      throw new CommandLine.UsageException("--init must be default or sparse, but was: " + init);
    }
    double[] theta0 = init.equals("sparse")
        ? net.sparseInitialParameters(seed, SPARSE_CONNECTIONS) : net.initialParameters(seed);
    DenseBatch trainSet = withTargets(whole(train), loss, reconstruct, train.numClasses());
    DenseBatch validationSet = validation == null ? null
        : withTargets(whole(validation), loss, reconstruct, train.numClasses());
    // An autoencoder's outputs are the input features: output c stands for feature c.
    int[] outputLabels = reconstruct ? java.util.stream.IntStream.range(0, sizes[sizes.length - 1])
        .toArray() : train.classLabels();
    int stepsPerEpoch = (train.numExamples() + batchSize - 1) / batchSize;
    LearningRateSchedule schedule = schedule(cl, lr, (long) epochs * stepsPerEpoch, stepsPerEpoch);
    StochasticOptimizer optimizer = optimizer(cl, name, net, seed);
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
  static final String HEADER = "epoch,steps,trainLoss,validationLoss,validationAccuracy,seconds";

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

  static StochasticOptimizer optimizer(CommandLine cl, String name, MultilayerPerceptron net,
      long seed) {
    double momentum = cl.number("momentum", 0.9);
    double weightDecay = cl.number("weight-decay", 0);
    try {
      return switch (name) {
        case "sgd" -> Sgd.defaults().withMomentum(momentum).withNesterov(cl.has("nesterov"))
            .withWeightDecay(weightDecay);
        case "adam" -> cl.has("decoupled-weight-decay")
            ? Adam.defaults().withDecoupledWeightDecay(weightDecay)
            : Adam.defaults().withWeightDecay(weightDecay);
        case "mlbfgs" -> MlbfgsOptions.optimizer(cl, momentum, weightDecay);
        case "kfac" -> KfacOptions.optimizer(cl, net, momentum, weightDecay, seed);
        default -> throw new CommandLine.UsageException(
            "--optimizer must be one of lbfgs, sgd, adam, mlbfgs, kfac, but was: " + name);
      };
    } catch (IllegalArgumentException e) {
      throw new CommandLine.UsageException(e.getMessage());
    }
  }

  private static LearningRateSchedule schedule(CommandLine cl, double lr, long totalSteps,
      int stepsPerEpoch) {
    LearningRateSchedule s = switch (cl.string("schedule", "constant")) {
      case "constant" -> LearningRateSchedule.constant(lr);
      case "cosine" -> LearningRateSchedule.cosine(lr, totalSteps, 0);
      case "step" -> LearningRateSchedule.step(lr, cl.number("lr-gamma", 0.1),
          (long) positive(cl, "lr-step-epochs", 10) * stepsPerEpoch);
      default -> throw new CommandLine.UsageException(
          "--schedule must be one of constant, cosine, step, but was: " + cl.string("schedule", ""));
    };
    int warmup = cl.integer("warmup-steps", 0);
    if (warmup < 0) {
      throw new CommandLine.UsageException("--warmup-steps must be >= 0, but was: " + warmup);
    }
    return warmup == 0 ? s : LearningRateSchedule.withWarmup(s, warmup);
  }

  private static int positive(CommandLine cl, String name, int fallback) {
    int v = cl.integer(name, fallback);
    if (v < 1) {
      throw new CommandLine.UsageException("--" + name + " must be positive, but was: " + v);
    }
    return v;
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
  static DenseBatch whole(SparseDataset data) {
    return DenseBatch.fromDataset(data, Math.max(1, data.numExamples())).get(0);
  }
}
