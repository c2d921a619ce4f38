package org.lbfgsbeam.sparkpeer;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The peer's command line, validated: every bad value is a {@link UsageException} quoting it. */
record PeerOptions(Path data, double lambda, double reference, int threads, int maxIterations,
    double tolerance, Path output) {

  static final String HELP = String.join("\n",
      "usage: java -jar spark-peer/target/lbfgs-spark-peer.jar --data FILE --lambda L"
          + " --reference F --output DIR [options]",
      "",
      "Spark MLlib multinomial LogisticRegression (fitIntercept=false, standardization=false,",
      "regParam=L, elasticNetParam=0) on a LIBSVM file read with lbfgs-beam's conventions; writes",
      "DIR/summary.json, DIR/trace.csv (objective by iteration) and DIR/jobs.csv (Spark jobs).",
      "",
      "  --data FILE            LIBSVM training file (required)",
      "  --lambda L             L2 regularisation, lbfgs-beam's lambda = Spark's regParam (required)",
      "  --reference F          f*, the optimum; the target is f*(1+1e-6) (required)",
      "  --output DIR           where summary.json goes (required; created)",
      "  --threads N            Spark local[N] and N data partitions (default 2)",
      "  --max-iterations N     Spark's maxIter (default 500)",
      "  --tolerance T          Spark's tol (breeze: function values / gradient) (default 1e-9)",
      "  --help                 this text");

  private static final Set<String> NAMES = Set.of("data", "lambda", "reference", "output",
      "threads", "max-iterations", "tolerance");

  PeerOptions {
    check(lambda > 0, "--lambda must be positive, but was: " + lambda);
    check(reference > 0, "--reference must be positive, but was: " + reference);
    check(threads > 0, "--threads must be positive, but was: " + threads);
    check(maxIterations > 0, "--max-iterations must be positive, but was: " + maxIterations);
    check(tolerance >= 0, "--tolerance must not be negative, but was: " + tolerance);
  }

  static PeerOptions parse(List<String> args) {
    Map<String, String> v = new HashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      check(arg.startsWith("--"), "unexpected argument '" + arg + "'");
      String name = arg.substring(2);
      check(NAMES.contains(name), "unknown option " + arg);
      check(i + 1 < args.size(), arg + " needs a value");
      check(v.put(name, args.get(++i)) == null, arg + " given twice");
    }
    for (String required : List.of("data", "lambda", "reference", "output")) {
      check(v.containsKey(required), "--" + required + " is required");
    }
    return new PeerOptions(Path.of(v.get("data")), number(v, "lambda", null),
        number(v, "reference", null), (int) integer(v, "threads", 2),
        (int) integer(v, "max-iterations", 500), number(v, "tolerance", 1e-9),
        Path.of(v.get("output")));
  }

  private static double number(Map<String, String> v, String name, Double fallback) {
    String text = v.get(name);
    if (text == null) {
      return fallback;
    }
    try {
      double d = Double.parseDouble(text);
      check(Double.isFinite(d), "--" + name + " must be a finite number, but was: " + text);
      return d;
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " must be a number, but was: " + text);
    }
  }

  private static long integer(Map<String, String> v, String name, int fallback) {
    String text = v.get(name);
    if (text == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " must be an integer, but was: " + text);
    }
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new UsageException(message);
    }
  }

  /** A bad command line; the message is one line for the user. */
  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }
}
