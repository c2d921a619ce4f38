package org.lbfgsbeam.pipelines.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;
import org.lbfgsbeam.core.kfac.Kfac;
import org.lbfgsbeam.core.kfac.KfacOptimizer;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.core.stochastic.Adam;
import org.lbfgsbeam.core.stochastic.LearningRateSchedule;
import org.lbfgsbeam.core.stochastic.Sgd;
import org.lbfgsbeam.core.stochastic.StochasticOptimizer;

/**
 * The options of {@code train --model mlp --optimizer sgd|adam|mlbfgs|kfac}, validated; the run is
 * {@code org.lbfgsbeam.pipelines.training.StochasticTrainCommand}. What depends on the data (the
 * network's input and output sizes, the steps per epoch) is settled there.
 *
 * @param data the training file (LIBSVM or IDX, as for {@code train})
 * @param labels the IDX labels of {@code data}, or null (found beside the images)
 * @param validation a held-out set scored after every epoch, or null
 * @param output the run directory
 * @param overwrite replace a non-empty {@code output} once the new run has finished
 * @param runner local, direct or flink
 * @param flinkMaster "[local]" or host:port of a cluster's REST endpoint
 * @param threads worker threads (flink: the job's parallelism)
 * @param hidden hidden layer sizes, input side first
 * @param activation the hidden layers' activation
 * @param loss cross-entropy or squared error
 * @param targets "labels", or "inputs" (an autoencoder: squared error against the inputs)
 * @param optimizer sgd, adam, mlbfgs or kfac
 * @param learningRate the base learning rate
 * @param epochs passes over the training set
 * @param batchSize examples per step
 * @param shards parts of a mini-batch summed in order
 * @param seed initialisation and mini-batch order
 * @param init "default" or "sparse" (Martens 2010)
 * @param maxBlockSize the largest parameter block of the optimiser's state
 * @param schedule constant, cosine or step
 * @param lrGamma the step schedule's factor
 * @param lrStepEpochs the step schedule's period in epochs
 * @param warmupSteps linear warm-up steps, 0 for none
 * @param stochastic the sgd, adam or mlbfgs optimiser; null for kfac
 * @param kfac the K-FAC hyperparameters of {@code --optimizer kfac}, else null
 */
public record StochasticTrainOptions(Path data, Path labels, Path validation, Path output,
    boolean overwrite, String runner, String flinkMaster, int threads, List<Integer> hidden,
    Activation activation, Loss loss, String targets, String optimizer, double learningRate,
    int epochs, int batchSize, int shards, long seed, String init, int maxBlockSize,
    String schedule, double lrGamma, int lrStepEpochs, int warmupSteps,
    StochasticOptimizer stochastic, Kfac kfac) {
  public static final String HELP = String.join("\n",
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

  private static final Set<String> VALUED = Set.of("data", "labels", "validation", "output",
      "threads", "hidden", "activation", "loss", "optimizer", "epochs", "batch-size", "shards",
      "learning-rate", "schedule", "lr-step-epochs", "lr-gamma", "warmup-steps", "momentum",
      "weight-decay", "seed", "max-block-size", "model", "runner", "history", "pair-period",
      "averaging", "kl-clip", "history-precision", "flink-master", "damping", "factor-decay",
      "factor-interval", "inverse-interval", "inversion", "fisher", "targets", "inverse-precision",
      "init");
  private static final Set<String> FLAGS = Set.of("overwrite", "nesterov",
      "decoupled-weight-decay", "help");

  /** Whether {@code args} ask for a stochastic optimiser (anything but the default lbfgs). */
  public static boolean applies(List<String> args) {
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

  /** Parses and validates; throws {@link CommandLine.UsageException} with a one-line message. */
  public static StochasticTrainOptions parse(List<String> args) {
    CommandLine cl = CommandLine.parse(args, VALUED, FLAGS);
    Path output = Paths.get(cl.required("output"));
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
    int threads = positive(cl, "threads", Runtime.getRuntime().availableProcessors());
    Path data = Paths.get(cl.required("data"));
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
    if (targets.equals("inputs") && loss != Loss.SQUARED_ERROR) {
      throw new CommandLine.UsageException("--targets inputs (an autoencoder) needs --loss"
          + " squared");
    }
    Path labels = cl.has("labels") ? Paths.get(cl.required("labels")) : null;
    Path validation = cl.has("validation") ? Paths.get(cl.required("validation")) : null;
    String init = cl.string("init", "default");
    if (!init.equals("default") && !init.equals("sparse")) {
      throw new CommandLine.UsageException("--init must be default or sparse, but was: " + init);
    }
    String schedule = cl.string("schedule", "constant");
    if (!List.of("constant", "cosine", "step").contains(schedule)) {
      throw new CommandLine.UsageException(
          "--schedule must be one of constant, cosine, step, but was: " + schedule);
    }
    double lrGamma = schedule.equals("step") ? cl.number("lr-gamma", 0.1) : 0.1;
    int lrStepEpochs = schedule.equals("step") ? positive(cl, "lr-step-epochs", 10) : 10;
    int warmup = cl.integer("warmup-steps", 0);
    if (warmup < 0) {
      throw new CommandLine.UsageException("--warmup-steps must be >= 0, but was: " + warmup);
    }
    double momentum = cl.number("momentum", 0.9);
    double weightDecay = cl.number("weight-decay", 0);
    StochasticOptimizer stochastic = null;
    Kfac kfac = null;
    try {
      switch (name) {
        case "sgd" -> stochastic = Sgd.defaults().withMomentum(momentum)
            .withNesterov(cl.has("nesterov")).withWeightDecay(weightDecay);
        case "adam" -> stochastic = cl.has("decoupled-weight-decay")
            ? Adam.defaults().withDecoupledWeightDecay(weightDecay)
            : Adam.defaults().withWeightDecay(weightDecay);
        case "mlbfgs" -> stochastic = MlbfgsOptions.optimizer(cl, momentum, weightDecay);
        default -> kfac = KfacOptions.kfac(cl, momentum, weightDecay);
      }
    } catch (IllegalArgumentException e) {
      throw new CommandLine.UsageException(e.getMessage());
    }
    return new StochasticTrainOptions(data, labels, validation, output, cl.has("overwrite"),
        runner, flinkMaster, threads, hidden, activation, loss, targets, name, lr, epochs,
        batchSize, shards, seed, init, maxBlock, schedule, lrGamma, lrStepEpochs, warmup,
        stochastic, kfac);
  }

  /** Whether the targets are the inputs (an autoencoder). */
  public boolean reconstruct() {
    return targets.equals("inputs");
  }

  /** The optimiser of {@code net}: K-FAC's needs the network's layers. */
  public StochasticOptimizer optimizer(MultilayerPerceptron net) {
    if (kfac == null) {
      return stochastic;
    }
    try {
      return KfacOptimizer.of(kfac, net).withSamplingSeed(seed);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.UsageException(e.getMessage());
    }
  }

  /** The learning rate schedule of a run of {@code totalSteps} steps, {@code stepsPerEpoch} an epoch. */
  public LearningRateSchedule learningRateSchedule(long totalSteps, int stepsPerEpoch) {
    LearningRateSchedule s = switch (schedule) {
      case "cosine" -> LearningRateSchedule.cosine(learningRate, totalSteps, 0);
      case "step" -> LearningRateSchedule.step(learningRate, lrGamma,
          (long) lrStepEpochs * stepsPerEpoch);
      default -> LearningRateSchedule.constant(learningRate);
    };
    return warmupSteps == 0 ? s : LearningRateSchedule.withWarmup(s, warmupSteps);
  }

  public static boolean wantsHelp(List<String> args) {
    return TrainOptions.wantsHelp(args);
  }

  private static int positive(CommandLine cl, String name, int fallback) {
    int v = cl.integer(name, fallback);
    if (v < 1) {
      throw new CommandLine.UsageException("--" + name + " must be positive, but was: " + v);
    }
    return v;
  }
}
