package org.lbfgsbeam.pipelines.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;

/**
 * The options of {@code history-study}; the run is {@code
 * org.lbfgsbeam.pipelines.bench.HistoryStudyCommand}. The options passed on to each {@code train}
 * are kept as given: train validates them.
 *
 * @param data the LIBSVM training file
 * @param lambda L2 regularisation
 * @param reference f*, for f - f*
 * @param output where the runs, the figure and the table go
 * @param histories comma-separated history sizes m
 * @param runner the runner of every train
 * @param partitions parameter blocks
 * @param threads worker threads
 * @param maxIterations per run
 * @param gradientTolerance per run
 */
public record HistoryStudyOptions(String data, double lambda, double reference, Path output,
    String histories, String runner, String partitions, String threads, String maxIterations,
    String gradientTolerance) {
  public static final String HELP = String.join("\n",
      "usage: history-study --data FILE --lambda L --reference F --output DIR [options]",
      "",
      "  --data FILE               LIBSVM training file (required)",
      "  --lambda L                L2 regularisation (required)",
      "  --reference F             f*, for f - f* (required)",
      "  --output DIR              runs, the figure and the table go here (required)",
      "  --histories LIST          comma-separated m (default 3,5,10,20)",
      "  --runner NAME             (default local)",
      "  --partitions P            (default 4)",
      "  --threads N               (default 2)",
      "  --max-iterations N        (default 100)",
      "  --gradient-tolerance T    (default 1e-8)",
      "  --help                    this text");

  private static final Set<String> VALUED = Set.of("data", "lambda", "reference", "output",
      "histories", "runner", "partitions", "threads", "max-iterations", "gradient-tolerance");

  /** Parses; throws {@link CommandLine.UsageException} with a one-line message. */
  public static HistoryStudyOptions parse(List<String> args) {
    CommandLine cl = CommandLine.parse(args, VALUED, Set.of("help"));
    String data = cl.required("data");
    double lambda = cl.number("lambda", Double.NaN);
    double reference = cl.number("reference", Double.NaN);
    Path dir = Paths.get(cl.required("output"));
    return new HistoryStudyOptions(data, lambda, reference, dir,
        cl.string("histories", "3,5,10,20"), cl.string("runner", "local"),
        cl.string("partitions", "4"), cl.string("threads", "2"),
        cl.string("max-iterations", "100"), cl.string("gradient-tolerance", "1e-8"));
  }

  public static boolean wantsHelp(List<String> args) {
    return args.contains("--help");
  }
}
