package org.lbfgsbeam.pipelines.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The options of {@code bench-network}, validated; the run is {@code
 * org.lbfgsbeam.pipelines.bench.NetworkBenchCommand}. The network's options are validated by
 * train's own parser ({@link TrainOptions#parse}), with its messages.
 *
 * @param data the training set
 * @param test the test set for the test accuracy, or null
 * @param runners kernel, numpy and train's runners, in turn
 * @param threads as given to train and the peer
 * @param lambda as given to train and the peer
 * @param history as given to train and the peer
 * @param maxIterations as given to train and the peer
 * @param trainArguments train's options common to every runner
 * @param train those options as train parses them
 * @param peerScript the NumPy/SciPy peer
 * @param python the Python interpreter
 * @param output where the runs are kept, or null for a temporary directory
 */
public record NetworkBenchOptions(Path data, Path test, List<String> runners, String threads,
    String lambda, String history, String maxIterations, List<String> trainArguments,
    TrainOptions train, Path peerScript, String python, Path output) {
  public static final String DEFAULT_RUNNERS = "kernel,local,flink,numpy";
  public static final String DEFAULT_PEER_SCRIPT = "docs/mlp_scipy_peer.py";
  /** SciPy's default maxfun, which the peer keeps; train gets the same evaluation limit. */
  public static final int MAX_EVALUATIONS = 15000;

  public static final String HELP = String.join("\n",
      "usage: bench-network --data FILE [options]",
      "",
      "Trains one multilayer perceptron on each runner in turn and, beside them, the NumPy/SciPy",
      "peer (fmin_l_bfgs_b on the same network in NumPy) from the same start point, with the same",
      "lambda, history and threads; prints a Markdown table, a row as each run ends.",
      "",
      "  --data FILE           training set: IDX images (labels beside) or LIBSVM (required)",
      "  --test FILE           test set for the test accuracy (default: none)",
      "  --hidden SIZES        hidden layer sizes, e.g. 256 or 256,128 (default 256)",
      "  --activation NAME     relu | tanh | sigmoid (default relu)",
      "  --lambda L            L2 on the weights (default 1e-4)",
      "  --history M           L-BFGS history (default 10)",
      "  --max-iterations N    per run (default 500)",
      "  --threads N           Java: shard threads (local), parallelism (direct, flink,",
      "                        beam-flink) and kernel threads; NumPy: BLAS threads (default 2)",
      "  --batch-size N        examples per batch (default 100)",
      "  --shards S            shards of batches (default 4, at most the number of batches)",
      "  --partitions P        parameter blocks (default 1)",
      "  --seed N              seed of the start point (default 1)",
      "  --runners LIST        comma-separated: local, direct, beam-flink, flink (train in a child",
      "                        JVM), 'kernel' (one evaluation's floor in this JVM), 'numpy' (the",
      "                        peer) (default " + DEFAULT_RUNNERS + ")",
      "  --output DIR          where the runs are kept (default: a temporary directory)",
      "  --python CMD          the Python interpreter (default python3)",
      "  --peer-script PATH    the peer (default " + DEFAULT_PEER_SCRIPT + ")",
      "  --help                this text",
      "",
      "Both sides start at theta0 = train's initialisation from --seed, written to",
      "DIR/theta0.bin (raw little-endian float64) and given to the peer with --theta0. train runs",
      "with --gradient-tolerance 1e-5 --progress-tolerance 0 --max-evaluations " + MAX_EVALUATIONS
          + ", the peer",
      "with pgtol=1e-5, factr=10, maxfun=" + MAX_EVALUATIONS + ", so both mostly stop at"
          + " --max-iterations. NumPy",
      "evaluates all examples at once, Java in batches summed in shard order: the same f up to",
      "rounding.",
      "",
      "seconds: the run's wall time from its summary (JVM start-up and reading the data excluded,",
      "a cluster's start-up and job deployment included); numpy: the fmin_l_bfgs_b call (loading",
      "the data and the accuracies excluded). s / evaluation: seconds /",
      "evaluations. s / evaluation after the first: (time of the last trace row - time of the",
      "first) / (evaluations between them), i.e. without start-up; numpy: the mean time inside its",
      "objective (secondsPerEvaluationInObjective). kernel: 3 timed evaluations after 1 warm-up.",
      "test accuracy: evaluate on --test (numpy: its own testAccuracy). peak RSS (GB, 10^9",
      "bytes): VmHWM of the child JVM; numpy: ru_maxrss of the Python process; kernel: of this",
      "JVM ('<= x' once evaluate has run in it). BLAS: the Java BLAS (netlib), or NumPy's.");

  private static final Set<String> VALUED = Set.of("data", "test", "hidden", "activation", "lambda",
      "history", "max-iterations", "threads", "batch-size", "shards", "partitions", "seed",
      "runners", "output", "python", "peer-script");

  /** Parses and validates; throws {@link CommandLine.UsageException} with a one-line message. */
  public static NetworkBenchOptions parse(List<String> args) {
    CommandLine cl = CommandLine.parse(args, VALUED, Set.of("help"));
    Path data = Paths.get(cl.required("data"));
    Path test = cl.has("test") ? Paths.get(cl.required("test")) : null;
    List<String> entries = List.of(cl.string("runners", DEFAULT_RUNNERS).split(",", -1));
    for (String entry : entries) {
      if (!entry.equals("kernel") && !entry.equals("numpy") && Arrays.stream(Runner.values())
          .noneMatch(r -> r.cliName().equals(entry))) {
        throw new CommandLine.UsageException("--runners entries must be kernel, numpy, local,"
            + " direct, beam-flink or flink, but one was: '" + entry + "'");
      }
    }
    String threads = cl.string("threads", "2");
    String lambda = cl.string("lambda", "1e-4");
    String history = cl.string("history", "10");
    String maxIterations = cl.string("max-iterations", "500");
    List<String> common = List.of("--data", data.toString(), "--model", "mlp",
        "--hidden", cl.string("hidden", "256"), "--activation", cl.string("activation", "relu"),
        "--batch-size", cl.string("batch-size", "100"), "--shards", cl.string("shards", "4"),
        "--seed", cl.string("seed", "1"), "--lambda", lambda, "--history", history,
        "--max-iterations", maxIterations, "--threads", threads,
        "--partitions", cl.string("partitions", "1"),
        "--gradient-tolerance", "1e-5", "--progress-tolerance", "0",
        "--max-evaluations", Integer.toString(MAX_EVALUATIONS));
    // train's own parser validates every option of the network, with its messages.
    List<String> probe = new ArrayList<>(common);
    probe.addAll(List.of("--output", "unused"));
    TrainOptions options = TrainOptions.parse(probe);
    Path peer = Paths.get(cl.string("peer-script", DEFAULT_PEER_SCRIPT));
    return new NetworkBenchOptions(data, test, entries, threads, lambda, history, maxIterations,
        common, options, peer, cl.string("python", "python3"),
        cl.has("output") ? Paths.get(cl.required("output")) : null);
  }

  public static boolean wantsHelp(List<String> args) {
    return args.contains("--help");
  }
}
