package org.lbfgsbeam.pipelines.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.optim.DirectionMethod;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.pipelines.data.DataShards;
import org.lbfgsbeam.pipelines.training.Checkpoint;
import org.lbfgsbeam.transforms.NetworkSpec;
import org.lbfgsbeam.transforms.ObjectiveSpec;

/**
 * The options of {@code train}, validated.
 *
 * @param data the training file: LIBSVM, or IDX images (MNIST, Fashion-MNIST), plain or gzipped;
 *     or a directory of LIBSVM shards, or a glob pattern over them ({@link DataShards})
 * @param model the objective
 * @param lambda L2 regularisation &lambda;
 * @param runner where supersteps run
 * @param partitions P, the number of parameter blocks (node_ids)
 * @param optimizer the L-BFGS options (history, tolerances, limits, direction method)
 * @param output the run directory
 * @param resume continue the run in {@code output}
 * @param overwrite replace a non-empty {@code output}
 * @param threads worker threads (local: block threads; direct: the DirectRunner's parallelism;
 *     flink, beam-flink: the job's parallelism)
 * @param flinkMaster "[local]" for an embedded mini-cluster, or host:port of a cluster's REST endpoint
 * @param labels the IDX labels file of {@code data}, or null (found beside the images)
 * @param validation a held-out set (LIBSVM or IDX, labels beside) whose accuracy is traced per
 *     iteration, or null
 * @param network the network of {@code --model mlp}, else null
 * @param checkpointMinutes local, flink: write a checkpoint at the first iteration this many minutes
 *     after the previous one, 0 for none by time ({@link Checkpoint#DEFAULT_MINUTES})
 * @param checkpointEvery local, flink: write a checkpoint every K iterations, 0 for none ({@link
 *     Checkpoint#DEFAULT_EVERY}); direct and beam-flink keep their state after every superstep
 */
public record TrainOptions(Path data, ObjectiveSpec.Model model, double lambda, Runner runner,
    int partitions, LbfgsOptions optimizer, Path output, boolean resume, boolean overwrite,
    int threads, String flinkMaster, Path labels, Path validation, boolean beamOnCluster,
    NetworkSpec network, int checkpointEvery, double checkpointMinutes) {

  /** Default examples per batch of {@code --model mlp} (the Ray example's batches of 100). */
  static final int DEFAULT_BATCH_SIZE = 100;
  /**
   * Default shards of {@code --model mlp}: a fixed number, so that the bits of a run do not depend on
   * the machine's processors (at most the number of batches).
   */
  public static final int DEFAULT_SHARDS = 4;

  public static final String HELP = String.join("\n",
      "usage: train --data FILE|DIR|'PATTERN' --output DIR [options]",
      "",
      "Trains an L2-regularised linear model or a multilayer perceptron with distributed L-BFGS",
      "(Najafabadi et al. 2017; data-parallel batch L-BFGS for the network).",
      "",
      "  --data FILE                 training file: LIBSVM/SVMlight, or IDX images (MNIST,",
      "                              Fashion-MNIST); plain or gzipped (required). Or LIBSVM",
      "                              shards, plain or gzipped, read in parallel: a directory",
      "                              (files starting with . or _ skipped) or a quoted pattern",
      "                              such as 'DIR/part-*'; examples follow the sorted names",
      "  --labels FILE               IDX labels of --data (default: found beside the images,",
      "                              ...-images-idx3-ubyte[.gz] -> ...-labels-idx1-ubyte[.gz])",
      "  --validation FILE           held-out set (LIBSVM or IDX, labels beside; or shards as",
      "                              for --data): its accuracy per iteration in trace.csv",
      "                              (flink runner: at the end only)",
      "                              (default: none)",
      "  --output DIR                run directory: summary.json, trace.csv, model/ (required)",
      "  --model NAME                softmax | logistic | least-squares | mlp (default softmax)",
      "  --optimizer NAME            lbfgs (full-batch, every runner) | sgd | adam | mlbfgs",
      "                              (mlp, stochastic, local: train --optimizer sgd --help)",
      "                              (default lbfgs)",
      "  --hidden SIZES              mlp: hidden layer sizes, input side first, e.g. 256 or",
      "                              256,128 (default 256)",
      "  --activation NAME           mlp: relu | tanh | sigmoid (default relu)",
      "  --loss NAME                 mlp: cross-entropy (softmax) | squared (on one-hot targets)",
      "                              (default cross-entropy)",
      "  --batch-size N              mlp: examples per batch (default 100)",
      "  --shards S                  mlp: groups of consecutive batches whose partial sums are",
      "                              added in shard order; the bits depend on it, not on",
      "                              --threads (default 4, at most the number of batches)",
      "  --seed N                    mlp: seed of the He/Glorot initialisation (default 1)",
      "  --lambda L                  L2 regularisation (default 1e-4); mlp: on the weights, not",
      "                              the biases, added to the mean loss",
      "  --history M                 L-BFGS history m (default 5)",
      "  --runner NAME               local | direct | beam-flink | flink (default local)",
      "  --flink-master ADDRESS      [local] (embedded mini-cluster) or host:port of a Flink 1.19",
      "                              cluster's REST endpoint (default [local])",
      "  --beam-on-cluster BOOL      beam-flink on a cluster: the cluster has Beam on its classpath,",
      "                              as flink-conf/ sets it up, so only this project's classes are",
      "                              staged (default true; false stages the whole jar)",
      "  --partitions P              parameter blocks; softmax: class blocks, 1..K (default 1)",
      "  --direction NAME            vector-free | two-loop (default vector-free)",
      "  --max-iterations N          (default 500)",
      "  --max-evaluations N         (default 1000)",
      "  --gradient-tolerance T      stop when max|g| <= T (default 1e-5)",
      "  --progress-tolerance T      stop when |df| or max|t*d| < T (default 1e-9)",
      "  --threads N                 worker threads (default: available processors)",
      "  --checkpoint-minutes M      local, flink: write the optimiser's state to DIR/state at",
      "                              the first iteration M minutes after the last (default 10;",
      "                              0: not by time); direct and beam-flink keep it after every",
      "                              superstep",
      "  --checkpoint-every K        local, flink: also every K iterations (default 0: not by",
      "                              iterations)",
      "  --resume                    continue the run in --output from its last checkpoint",
      "  --overwrite                 replace a non-empty --output once the new run has",
      "                              finished (until then it is written beside it)",
      "  --help                      this text");

  private static final Set<String> VALUED = Set.of("data", "output", "model", "lambda", "history",
      "runner", "partitions", "direction", "max-iterations", "max-evaluations",
      "gradient-tolerance", "progress-tolerance", "threads", "flink-master", "beam-on-cluster", "labels",
      "validation", "hidden", "activation", "loss", "batch-size", "shards", "seed", "optimizer",
      "checkpoint-every", "checkpoint-minutes");
  private static final Set<String> FLAGS = Set.of("resume", "overwrite", "help");

  /** Parses and validates; throws {@link CommandLine.UsageException} with a one-line message. */
  public static TrainOptions parse(List<String> args) {
    CommandLine cl = CommandLine.parse(args, VALUED, FLAGS);
    Path data = Paths.get(cl.required("data"));
    Path output = Paths.get(cl.required("output"));
    ObjectiveSpec.Model model = switch (cl.string("model", "softmax")) {
      case "softmax" -> ObjectiveSpec.Model.SOFTMAX;
      case "logistic" -> ObjectiveSpec.Model.LOGISTIC;
      case "least-squares" -> ObjectiveSpec.Model.LEAST_SQUARES;
      case "mlp" -> ObjectiveSpec.Model.MLP;
      default -> throw new CommandLine.UsageException(
          "--model must be one of softmax, logistic, least-squares, mlp, but was: "
              + cl.string("model", ""));
    };
    NetworkSpec network = model == ObjectiveSpec.Model.MLP ? network(cl) : null;
    if (network == null) {
      for (String option : List.of("hidden", "activation", "loss", "batch-size", "shards", "seed")) {
        if (cl.has(option)) {
          throw new CommandLine.UsageException("--" + option + " is an option of --model mlp");
        }
      }
    }
    double lambda = cl.number("lambda", 1e-4);
    if (lambda < 0) {
      throw new CommandLine.UsageException("--lambda must be >= 0, but was: " + lambda);
    }
    int partitions = cl.integer("partitions", 1);
    if (partitions < 1) {
      throw new CommandLine.UsageException("--partitions must be positive, but was: " + partitions);
    }
    int threads = cl.integer("threads", Runtime.getRuntime().availableProcessors());
    if (threads < 1) {
      throw new CommandLine.UsageException("--threads must be positive, but was: " + threads);
    }
    DirectionMethod direction = switch (cl.string("direction", "vector-free")) {
      case "vector-free" -> DirectionMethod.VECTOR_FREE;
      case "two-loop" -> DirectionMethod.TWO_LOOP;
      default -> throw new CommandLine.UsageException(
          "--direction must be vector-free or two-loop, but was: " + cl.string("direction", ""));
    };
    LbfgsOptions optimizer;
    try {
      LbfgsOptions d = LbfgsOptions.defaults();
      optimizer = d.withHistory(cl.integer("history", d.history()))
          .withMaxIterations(cl.integer("max-iterations", d.maxIterations()))
          .withMaxEvaluations(cl.integer("max-evaluations", d.maxEvaluations()))
          .withGradientTolerance(cl.number("gradient-tolerance", d.gradientTolerance()))
          .withProgressTolerance(cl.number("progress-tolerance", d.progressTolerance()))
          .withDirectionMethod(direction);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.UsageException(e.getMessage());
    }
    if (cl.has("resume") && cl.has("overwrite")) {
      throw new CommandLine.UsageException("--resume and --overwrite exclude each other");
    }
    String flinkMaster = cl.string("flink-master", "[local]");
    if (!flinkMaster.equals("[local]") && !flinkMaster.matches("[^:\\s]+:\\d+")) {
      throw new CommandLine.UsageException("--flink-master must be [local] or host:port, but was: "
          + flinkMaster);
    }
    Path validation = cl.has("validation") ? Paths.get(cl.required("validation")) : null;
    if (validation != null && model == ObjectiveSpec.Model.LEAST_SQUARES) {
      throw new CommandLine.UsageException("--validation measures a classifier's accuracy: it needs"
          + " --model softmax or logistic, not least-squares");
    }
    String beamOnCluster = cl.string("beam-on-cluster", "true");
    if (!beamOnCluster.equals("true") && !beamOnCluster.equals("false")) {
      throw new CommandLine.UsageException("--beam-on-cluster must be true or false, but was: "
          + beamOnCluster);
    }
    int checkpointEvery = cl.integer("checkpoint-every", Checkpoint.DEFAULT_EVERY);
    if (checkpointEvery < 0) {
      throw new CommandLine.UsageException("--checkpoint-every must be >= 0 (0: no checkpoints),"
          + " but was: " + checkpointEvery);
    }
    double checkpointMinutes = cl.number("checkpoint-minutes", Checkpoint.DEFAULT_MINUTES);
    if (!(checkpointMinutes >= 0) || Double.isInfinite(checkpointMinutes)) {
      throw new CommandLine.UsageException("--checkpoint-minutes must be a finite number >= 0"
          + " (0: not by time), but was: " + checkpointMinutes);
    }
    return new TrainOptions(data, model, lambda, Runner.parse(cl.string("runner", "local")),
        partitions, optimizer, output, cl.has("resume"), cl.has("overwrite"), threads, flinkMaster,
        cl.has("labels") ? Paths.get(cl.required("labels")) : null, validation,
        Boolean.parseBoolean(beamOnCluster), network, checkpointEvery, checkpointMinutes);
  }

  private static NetworkSpec network(CommandLine cl) {
    List<Integer> hidden = hiddenSizes(cl);
    Activation activation = activation(cl);
    Loss loss = loss(cl);
    int batchSize = cl.integer("batch-size", DEFAULT_BATCH_SIZE);
    if (batchSize < 1) {
      throw new CommandLine.UsageException("--batch-size must be positive, but was: " + batchSize);
    }
    int shards = cl.integer("shards", DEFAULT_SHARDS);
    if (shards < 1) {
      throw new CommandLine.UsageException("--shards must be positive, but was: " + shards);
    }
    long seed = cl.integer("seed", 1);
    return new NetworkSpec(hidden, activation, loss, batchSize, shards, seed);
  }

  public static boolean wantsHelp(List<String> args) {
    return args.contains("--help") || args.contains("-h");
  }

  /** {@code --hidden}: positive layer sizes separated by commas (default 256). */
  static List<Integer> hiddenSizes(CommandLine cl) {
    List<Integer> hidden = new ArrayList<>();
    String sizes = cl.string("hidden", "256").trim();
    if (!sizes.isEmpty()) {
      for (String part : sizes.split(",")) {
        try {
          int h = Integer.parseInt(part.trim());
          if (h < 1) {
            throw new NumberFormatException();
          }
          hidden.add(h);
        } catch (NumberFormatException e) {
          throw new CommandLine.UsageException("--hidden must be positive layer sizes separated by"
              + " commas (e.g. 256,128), but was: " + sizes);
        }
      }
    }
    return hidden;
  }

  /** {@code --activation}: relu, tanh or sigmoid (default relu). */
  /** --loss: cross-entropy (softmax outputs, the default) or squared (raw outputs). */
  static Loss loss(CommandLine cl) {
    return switch (cl.string("loss", "cross-entropy")) {
      case "cross-entropy" -> Loss.SOFTMAX_CROSS_ENTROPY;
      case "squared" -> Loss.SQUARED_ERROR;
      default -> throw new CommandLine.UsageException(
          "--loss must be cross-entropy or squared, but was: " + cl.string("loss", ""));
    };
  }

  static Activation activation(CommandLine cl) {
    return switch (cl.string("activation", "relu")) {
      case "relu" -> Activation.RELU;
      case "tanh" -> Activation.TANH;
      case "sigmoid" -> Activation.SIGMOID;
      default -> throw new CommandLine.UsageException(
          "--activation must be one of relu, tanh, sigmoid, but was: " + cl.string("activation", ""));
    };
  }
}
