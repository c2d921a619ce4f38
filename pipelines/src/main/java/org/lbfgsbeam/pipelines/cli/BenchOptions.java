package org.lbfgsbeam.pipelines.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;

/**
 * The options of {@code bench}; the run is {@code org.lbfgsbeam.pipelines.bench.BenchCommand}. The
 * options passed on to each {@code train} are kept as given: train validates them.
 *
 * @param data the LIBSVM training file
 * @param lambda L2 regularisation, as train is given it
 * @param reference f*, the optimum (positive)
 * @param fork run each train in a child JVM
 * @param runners the runners in turn (a runner may carry @host:port; kernel, spark, sklearn)
 * @param sparkPeerJar the Spark peer's jar
 * @param sklearnPeerScript the scikit-learn peer's script, or null for the jar's
 * @param threads worker threads of every run
 * @param maxIterations per run
 * @param output where the runs are kept, or null for a temporary directory
 * @param partitions parameter blocks
 * @param history the L-BFGS history m
 * @param gradientTolerance per run
 * @param sparkTolerance Spark's tol
 * @param python the Python of the sklearn peer's install step
 * @param sklearnTolerance LogisticRegression's tol
 */
public record BenchOptions(String data, String lambda, double reference, boolean fork,
    List<String> runners, Path sparkPeerJar, Path sklearnPeerScript, String threads,
    String maxIterations, Path output, String partitions, String history,
    String gradientTolerance, double sparkTolerance, String python, double sklearnTolerance) {
  public static final String DEFAULT_SPARK_JAR = "spark-peer/target/lbfgs-spark-peer.jar";

  public static final String HELP = String.join("\n",
      "usage: bench --data FILE --lambda L --reference F [options]",
      "",
      "Runs train on each runner in turn and prints a Markdown table.",
      "",
      "  --data FILE               LIBSVM training file (required)",
      "  --lambda L                L2 regularisation (required)",
      "  --reference F             f*, the optimum (e.g. from shared/data/REFERENCE.md) (required)",
      "  --runners LIST            comma-separated runners; a runner may be suffixed @host:port to",
      "                            run on a cluster; 'kernel' times the bare loss+gradient loop;",
      "                            'spark' runs Spark MLlib's LogisticRegression (the spark-peer jar)",
      "                            'sklearn' runs scikit-learn's LogisticRegression (lbfgs)",
      "                            (default kernel,local,direct,beam-flink,flink)",
      "  --partitions P            (default 4)",
      "  --threads N               (default 2; spark: local[N]; sklearn: OMP_NUM_THREADS)",
      "  --history M               (default 5; spark and sklearn keep their own 10)",
      "  --max-iterations N        per run (default 500)",
      "  --gradient-tolerance T    (default 1e-7)",
      "  --output DIR              where the runs are kept (default: a temporary directory)",
      "  --fork                    run each train in a child JVM of this jar (the default)",
      "  --no-fork                 run each train in this JVM",
      "  --spark-peer-jar PATH     the Spark peer (default " + DEFAULT_SPARK_JAR + ")",
      "  --spark-tolerance T       Spark's tol (default 1e-9)",
      "  --python CMD              sklearn: the Python that runs the peer's install step (default",
      "                            python3)",
      "  --sklearn-peer-script PATH  sklearn: the peer (default: the jar's, written to the run's",
      "                            directory)",
      "  --sklearn-tolerance T     sklearn: LogisticRegression's tol (default 1e-6)",
      "  --help                    this text",
      "",
      "peak RSS (GB, 10^9 bytes) is VmHWM of /proc/PID/status: of the child JVM for a forked run",
      "and for spark; with --no-fork, of this JVM at the end of the run, shown as '<= x' as it",
      "includes every earlier run; for kernel, of this JVM after the kernel loop ('<= x' when",
      "in-process runs came before it).",
      "steady s / evaluation (train runners, from trace.csv): the median over iterations 7 to",
      "the last of (seconds[i] - seconds[i-1]) / (evaluations[i] - evaluations[i-1]), only",
      "iterations with exactly one evaluation; empty when fewer than 3: without the cold start",
      "(JIT, fresh heap, early line searches), the number to compare with the kernel floor.",
      "s / evaluation after the first: (time of the last trace row - time of the first) /",
      "(evaluations between them), i.e. without start-up; for spark the mean time of its",
      "evaluation jobs. data passes: passes over the training data (summary.json).",
      "s whole process: wall time of the child that trains (JVM or Python start, reading the",
      "data, training, writing the model); spark: less its warm-up and to-target fits.",
      "sklearn: one fit to its tol (seconds: LogisticRegression.fit; evaluations: scipy's nfev;",
      "data passes: 2 per evaluation), f recomputed by this project's objective from its W; s to",
      "f*(1+1e-6): a second fit with the smallest max_iter that reaches it (bisection).");

  private static final Set<String> VALUED = Set.of("data", "lambda", "reference", "runners",
      "partitions", "threads", "history", "max-iterations", "gradient-tolerance", "output",
      "spark-peer-jar", "spark-tolerance", "python", "sklearn-peer-script", "sklearn-tolerance");

  /** Parses; throws {@link CommandLine.UsageException} with a one-line message. */
  public static BenchOptions parse(List<String> args) {
    CommandLine cl = CommandLine.parse(args, VALUED, Set.of("help", "fork", "no-fork"));
    String data = cl.required("data");
    String lambda = Double.toString(cl.number("lambda", Double.NaN));
    double reference = cl.number("reference", Double.NaN);
    if (!(reference > 0)) {
      throw new CommandLine.UsageException("--reference must be positive, but was: " + reference);
    }
    if (cl.has("fork") && cl.has("no-fork")) {
      throw new CommandLine.UsageException("--fork and --no-fork exclude each other");
    }
    boolean fork = !cl.has("no-fork");
    List<String> runners = List.of(cl.string("runners", "kernel,local,direct,beam-flink,flink")
        .split(","));
    Path sparkJar = Paths.get(cl.string("spark-peer-jar", DEFAULT_SPARK_JAR));
    Path sklearnScript = cl.has("sklearn-peer-script")
        ? Paths.get(cl.required("sklearn-peer-script")) : null;
    return new BenchOptions(data, lambda, reference, fork, runners, sparkJar, sklearnScript,
        cl.string("threads", "2"), cl.string("max-iterations", "500"),
        cl.has("output") ? Paths.get(cl.required("output")) : null,
        cl.string("partitions", "4"), cl.string("history", "5"),
        cl.string("gradient-tolerance", "1e-7"), cl.number("spark-tolerance", 1e-9),
        cl.string("python", "python3"), cl.number("sklearn-tolerance", 1e-6));
  }

  public static boolean wantsHelp(List<String> args) {
    return args.contains("--help");
  }
}
