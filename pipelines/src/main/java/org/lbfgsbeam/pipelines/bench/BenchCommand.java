package org.lbfgsbeam.pipelines.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.lbfgsbeam.pipelines.Main;
import org.lbfgsbeam.pipelines.cli.BenchOptions;
import org.lbfgsbeam.pipelines.cli.CommandLine;
import org.lbfgsbeam.pipelines.data.DataFiles;
import org.lbfgsbeam.pipelines.training.TrainCommand;

/**
 * {@code bench}: trains the same set with the same options on several runners, one after another,
 * and prints a table of what each took: supersteps, wall time, time per superstep and per
 * evaluation, the wall time and evaluations until f first reached f*(1+1e-6) (f* from {@code
 * --reference}), and the peak resident memory of the process that ran it. Every number comes from
 * the runs' own summary.json and trace.csv.
 *
 * <p>s / evaluation is the whole training's seconds / evaluations, cold start included. The column
 * after it, steady s / evaluation, leaves the cold start out (JIT compilation, the first touch of
 * fresh heap, the first iterations' line searches), so it is what compares with the kernel floor
 * (a warm measurement): the median, over the trace.csv rows of iterations 7 to the last
 * ({@code iteration} column), of (seconds[i] - seconds[i-1]) / (evaluations[i] -
 * evaluations[i-1]), taking only the iterations with exactly one evaluation (whose previous
 * iteration i-1 is in the trace); the mean of the two middle values when their number is even;
 * empty when fewer than 3 iterations qualify, and for rows without a trace.csv (kernel floor,
 * spark, sklearn). See {@link #steadySecondsPerEvaluation}.
 *
 * <p>With {@code --fork} (the default) each train runs in a child JVM of this jar, so its peak RSS
 * (VmHWM, which train writes to summary.json) is its own; the child is started with {@code -jar}
 * when this class comes from a jar, because the jar's manifest carries the {@code Add-Opens} that
 * Flink needs and a {@code -cp} launch would drop them, and gets this JVM's {@code -Xmx} and
 * {@code --add-opens}/{@code --add-exports} options. {@code --no-fork} runs them in this JVM, as
 * before, where the high-water mark only bounds a run's peak from above.
 *
 * <p>Runner {@code spark} is the Spark MLlib peer (module {@code spark-peer}, built with {@code
 * -Pspark}, docs/spark-peer.md), always a child JVM started from its own jar; its summary.json
 * gives evaluations, seconds, time and evaluations to the target, final f and peak RSS.
 *
 * <p>Runner {@code sklearn} is scikit-learn's {@code LogisticRegression(solver="lbfgs")} in Python
 * child processes ({@link SklearnPeer}, docs/benchmarks.md), f recomputed here from its W.
 *
 * <p>The last column, the whole process, is the wall time of what a user would run: the child that
 * trains (JVM start, reading the data, training, writing the model), measured here; with {@code
 * --no-fork}, the in-process train command.
 */
public final class BenchCommand {
  private static final String[] HEADER = {"runner", "supersteps", "evaluations", "seconds",
      "s / superstep", "s / evaluation", "steady s / evaluation", "s to f*(1+1e-6)",
      "evaluations to f*(1+1e-6)", "final f", "peak RSS (GB)", "s / evaluation after the first",
      "data passes", "s whole process"};

  private static final int PEAK_RSS = 10;

  /** The first iteration that {@link #steadySecondsPerEvaluation} counts. */
  static final int STEADY_FROM_ITERATION = 7;

  /** The fewest qualifying iterations {@link #steadySecondsPerEvaluation} takes a median of. */
  static final int STEADY_MIN_ITERATIONS = 3;

  private BenchCommand() {}

  public static void run(BenchOptions o, PrintStream out, PrintStream err) throws IOException {
    String data = o.data();
    String lambda = o.lambda();
    double reference = o.reference();
    boolean fork = o.fork();
    List<String> entries = o.runners();
    Path sparkJar = o.sparkPeerJar();
    if (entries.contains("spark")) {
      checkSparkJar(sparkJar);
    }
    Path sklearnScript = o.sklearnPeerScript();
    if (entries.contains("sklearn")) {
      checkSklearn(Double.parseDouble(lambda), sklearnScript);
    }
    String threads = o.threads();
    String maxIterations = o.maxIterations();
    Path dir = o.output() != null ? o.output() : Files.createTempDirectory("lbfgs-bench");
    out.println("| " + String.join(" | ", HEADER) + " |");
    out.println("|" + "---|".repeat(HEADER.length));
    // Rows are printed as each run ends, so a long benchmark keeps what it has measured.
    java.util.function.Consumer<String[]> rows = row -> {
      out.println("| " + String.join(" | ", row) + " |");
      out.flush();
    };
    boolean ranInProcess = false;
    for (String entry : entries) {
      if (entry.equals("kernel")) {
        String[] row = kernelFloor(Paths.get(data), Double.parseDouble(lambda),
            Integer.parseInt(o.partitions()), Integer.parseInt(threads));
        row[PEAK_RSS] = gigabytes(TrainCommand.peakRssBytes(), ranInProcess);
        rows.accept(row);
        continue;
      }
      Path runDir = dir.resolve(entry.replaceAll("[^A-Za-z0-9.-]", "_"));
      if (entry.equals("spark")) {
        String label = "spark (local[" + threads + "])";
        err.println("bench: " + label);
        List<String> command = new ArrayList<>(List.of(javaBinary()));
        command.addAll(jvmOptions());
        // What Spark 4's own launcher adds: the vector API for its Java BLAS.
        command.add("--add-modules=jdk.incubator.vector");
        command.addAll(List.of("-jar", sparkJar.toString(), "--data", data, "--lambda", lambda,
            "--reference", Double.toString(reference), "--threads", threads,
            "--max-iterations", maxIterations,
            "--tolerance", Double.toString(o.sparkTolerance()),
            "--output", runDir.toString()));
        long started = System.nanoTime();
        int status = runChild(command, err);
        double wall = (System.nanoTime() - started) / 1e9;
        rows.accept(status == 0 ? sparkRow(label, runDir, wall) : failed(label, status));
        continue;
      }
      if (entry.equals("sklearn")) {
        err.println("bench: " + SklearnPeer.LABEL);
        SklearnPeer.Settings settings = new SklearnPeer.Settings(o.python(),
            sklearnScript, o.sklearnTolerance(),
            Integer.parseInt(maxIterations), Integer.parseInt(threads));
        SklearnPeer.Outcome outcome = SklearnPeer.run(Paths.get(data),
            DataFiles.read(Paths.get(data), null), Double.parseDouble(lambda),
            reference * (1 + 1e-6), settings, runDir, err);
        rows.accept(sklearnRow(SklearnPeer.LABEL, outcome));
        continue;
      }
      String[] parts = entry.split("@", 2);
      String runner = parts[0];
      String master = parts.length > 1 ? parts[1] : "[local]";
      String label = runner + (parts.length > 1 ? " (cluster " + master + ")" : "");
      List<String> train = new ArrayList<>(List.of("train", "--data", data, "--lambda", lambda,
          "--runner", runner, "--flink-master", master,
          "--partitions", o.partitions(), "--threads", threads,
          "--history", o.history(),
          "--max-iterations", maxIterations,
          "--gradient-tolerance", o.gradientTolerance(),
          "--progress-tolerance", "0", "--output", runDir.toString(), "--overwrite"));
      err.println("bench: " + label);
      int status;
      long started = System.nanoTime();
      if (fork) {
        status = runChild(trainCommand(train), err);
      } else {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        status = Main.run(train, new PrintStream(sink, true, StandardCharsets.UTF_8), err);
        ranInProcess = true;
      }
      double wall = (System.nanoTime() - started) / 1e9;
      rows.accept(status == 0 ? row(label, runDir, reference, !fork, wall)
          : failed(label, status));
    }
  }

  /** A usage error naming the jar and how to build it, when the Spark peer is not there. */
  static void checkSparkJar(Path jar) {
    if (!Files.isRegularFile(jar)) {
      throw new CommandLine.UsageException("runner spark needs the Spark peer jar "
          + jar.toAbsolutePath().normalize() + ", which does not exist: build it with"
          + " mvn -Pspark -pl spark-peer -am package (or give --spark-peer-jar PATH)");
    }
  }

  /**
   * Usage errors for runner sklearn, before anything runs: it needs λ &gt; 0 (C = 1/(N λ)), and a
   * peer script given with {@code --sklearn-peer-script} must exist.
   */
  static void checkSklearn(double lambda, Path script) {
    if (!(lambda > 0)) {
      throw new CommandLine.UsageException("runner sklearn needs --lambda > 0 (scikit-learn's"
          + " C = 1/(N lambda)), but it was: " + lambda);
    }
    if (script != null && !Files.isRegularFile(script)) {
      throw new CommandLine.UsageException("runner sklearn: the peer script "
          + script.toAbsolutePath().normalize() + " does not exist");
    }
  }

  private static String[] failed(String label, int status) {
    return failed(label, "exit " + status);
  }

  private static String[] failed(String label, String why) {
    String[] row = new String[HEADER.length];
    java.util.Arrays.fill(row, "");
    row[0] = label;
    row[1] = "failed (" + why.replace('|', '/').strip() + ")";
    return row;
  }

  /**
   * The row of a Spark peer run, from its summary.json (spark-peer's SparkSoftmaxPeer); the whole
   * process is the child's {@code wallSeconds} less its untimed warm-up fit and its second fit,
   * the one to the target.
   */
  static String[] sparkRow(String label, Path runDir, double wallSeconds) throws IOException {
    JsonNode s = new ObjectMapper().readTree(runDir.resolve("summary.json").toFile());
    int evaluations = s.get("evaluations").asInt();
    double seconds = s.get("seconds").asDouble();
    boolean reached = !s.path("secondsToTarget").isNull() && !s.path("secondsToTarget").isMissingNode();
    double whole = wallSeconds - s.path("warmUpSeconds").asDouble(0)
        - (reached ? s.get("secondsToTarget").asDouble() : 0);
    return new String[] {label, "", Integer.toString(evaluations),
        String.format(Locale.ROOT, "%.2f", seconds), "",
        String.format(Locale.ROOT, "%.3f", seconds / Math.max(1, evaluations)), "",
        reached ? String.format(Locale.ROOT, "%.2f", s.get("secondsToTarget").asDouble())
            : "not reached",
        reached ? s.get("evaluationsToTarget").asText() : "",
        s.get("finalObjective").asText(), gigabytes(s.path("peakRssBytes").asLong(-1), false),
        s.has("meanEvaluationJobSeconds")
            ? String.format(Locale.ROOT, "%.3f", s.get("meanEvaluationJobSeconds").asDouble()) : "",
        s.path("dataPasses").asText(""), String.format(Locale.ROOT, "%.2f", whole)};
  }

  /**
   * The row of the scikit-learn peer ({@link SklearnPeer}): seconds are its fit's, evaluations
   * scipy's nfev (empty when the peer could not see it), data passes two per evaluation (X W^T and
   * X^T G), final f recomputed here, time to target the fit seconds of its to-target run.
   */
  static String[] sklearnRow(String label, SklearnPeer.Outcome o) {
    if (o.failure() != null) {
      return failed(label, o.failure());
    }
    JsonNode s = o.fit();
    double seconds = s.get("fitSeconds").asDouble();
    boolean counted = s.path("evaluations").canConvertToInt();
    int evaluations = s.path("evaluations").asInt();
    JsonNode t = o.toTarget();
    String toTarget = t != null
        ? String.format(Locale.ROOT, "%.2f", t.get("secondsToTarget").asDouble())
        : o.objective() <= o.target() ? "failed (see the log)" : "not reached";
    return new String[] {label, "", counted ? Integer.toString(evaluations) : "",
        String.format(Locale.ROOT, "%.2f", seconds), "",
        counted ? String.format(Locale.ROOT, "%.3f", seconds / Math.max(1, evaluations)) : "", "",
        toTarget, t != null && t.path("evaluationsToTarget").canConvertToInt()
            ? t.get("evaluationsToTarget").asText() : "",
        Double.toString(o.objective()), gigabytes(s.path("peakRssBytes").asLong(-1), false), "",
        counted ? Integer.toString(2 * evaluations) : "",
        String.format(Locale.ROOT, "%.2f", o.processSeconds())};
  }

  /** The command that runs {@code train} in a child JVM like this one. */
  static List<String> trainCommand(List<String> train) {
    List<String> command = new ArrayList<>(List.of(javaBinary()));
    command.addAll(jvmOptions());
    Path jar = ownJar();
    if (jar != null) {
      command.addAll(List.of("-jar", jar.toString()));
    } else { // classes on a class path (tests, an IDE)
      command.addAll(List.of("-cp", System.getProperty("java.class.path"),
          Main.class.getName()));
    }
    command.addAll(train);
    return command;
  }

  /** The jar this class was loaded from, or null when it comes from a directory. */
  private static Path ownJar() {
    try {
      java.security.CodeSource source = BenchCommand.class.getProtectionDomain().getCodeSource();
      if (source != null) {
        Path p = Paths.get(source.getLocation().toURI());
        if (Files.isRegularFile(p)) {
          return p;
        }
      }
    } catch (java.net.URISyntaxException | RuntimeException e) {
      // fall back to the class path
    }
    return null;
  }

  private static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** This JVM's heap limit and module openings, for a child JVM. */
  static List<String> jvmOptions() {
    List<String> input = java.lang.management.ManagementFactory.getRuntimeMXBean()
        .getInputArguments();
    List<String> options = new ArrayList<>();
    for (int i = 0; i < input.size(); i++) {
      String a = input.get(i);
      if (a.startsWith("-Xmx") || a.startsWith("--add-opens=") || a.startsWith("--add-exports=")) {
        options.add(a);
      } else if ((a.equals("--add-opens") || a.equals("--add-exports")) && i + 1 < input.size()) {
        options.add(a);
        options.add(input.get(++i));
      }
    }
    return options;
  }

  /** Runs a child process, copying its output to {@code err}; returns its exit status. */
  static int runChild(List<String> command, PrintStream err) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(
        process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        err.println(line);
      }
      return process.waitFor();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for " + command.get(0), e);
    }
  }

  /** Bytes as GB (10^9), prefixed "<= " when the number only bounds the run's peak from above. */
  static String gigabytes(long bytes, boolean upperBound) {
    if (bytes < 0) {
      return "";
    }
    return (upperBound ? "<= " : "") + String.format(Locale.ROOT, "%.2f", bytes / 1e9);
  }

  private static String[] row(String label, Path runDir, double reference, boolean inProcess,
      double wallSeconds) throws IOException {
    JsonNode s = new ObjectMapper().readTree(runDir.resolve("summary.json").toFile());
    int supersteps = s.get("supersteps").asInt();
    double seconds = s.get("seconds").asDouble();
    String toTarget = "not reached";
    String evaluationsToTarget = "";
    List<String> trace = Files.readAllLines(runDir.resolve("trace.csv"));
    for (String line : trace.subList(1, trace.size())) {
      String[] f = line.split(",");
      if (Double.parseDouble(f[2]) <= reference * (1 + 1e-6)) {
        toTarget = String.format(Locale.ROOT, "%.2f", Double.parseDouble(f[5]));
        evaluationsToTarget = f[1];
        break;
      }
    }
    return new String[] {label, Integer.toString(supersteps), s.get("evaluations").asText(),
        String.format(Locale.ROOT, "%.2f", seconds),
        String.format(Locale.ROOT, "%.3f", seconds / Math.max(1, supersteps)),
        String.format(Locale.ROOT, "%.3f", seconds / s.get("evaluations").asInt()),
        steady(TraceCsv.parse(runDir.resolve("trace.csv"), trace)), toTarget, evaluationsToTarget,
        s.get("objective").asText(),
        gigabytes(s.path("peakRssBytes").asLong(-1), inProcess), afterFirst(trace),
        s.path("dataPasses").asText(""), String.format(Locale.ROOT, "%.2f", wallSeconds)};
  }

  /**
   * Seconds per evaluation between the first trace row (the start point's evaluation, after the
   * runner's start-up: JVM, cluster, job deployment, reading the data) and the last, or empty when
   * the trace has fewer than two rows.
   */
  static String afterFirst(List<String> trace) {
    double perEvaluation = secondsPerEvaluationAfterFirst(trace);
    return Double.isNaN(perEvaluation) ? "" : String.format(Locale.ROOT, "%.3f", perEvaluation);
  }

  /** The number {@link #afterFirst} formats, or NaN where it is empty. */
  static double secondsPerEvaluationAfterFirst(List<String> trace) {
    if (trace.size() < 3) {
      return Double.NaN;
    }
    String[] first = trace.get(1).split(",");
    String[] last = trace.get(trace.size() - 1).split(",");
    int evaluations = Integer.parseInt(last[1]) - Integer.parseInt(first[1]);
    double seconds = Double.parseDouble(last[5]) - Double.parseDouble(first[5]);
    return evaluations <= 0 ? Double.NaN : seconds / evaluations;
  }

  /** {@link #steadySecondsPerEvaluation} as the table shows it: 3 decimals, empty for NaN. */
  static String steady(TraceCsv trace) throws IOException {
    double perEvaluation = steadySecondsPerEvaluation(trace);
    return Double.isNaN(perEvaluation) ? "" : String.format(Locale.ROOT, "%.3f", perEvaluation);
  }

  /**
   * Steady seconds per evaluation, without the cold start (JIT compilation, first touch of fresh
   * heap, the first iterations' line searches): for each trace row with {@code iteration} i &gt;=
   * {@value #STEADY_FROM_ITERATION} whose previous row is iteration i-1, (seconds[i] -
   * seconds[i-1]) / (evaluations[i] - evaluations[i-1]), kept only when that iteration took exactly
   * one evaluation (no line-search backtracking); the median of those (the mean of the two middle
   * ones for an even number), or NaN when fewer than {@value #STEADY_MIN_ITERATIONS} qualify.
   */
  static double steadySecondsPerEvaluation(TraceCsv trace) throws IOException {
    double[] iteration = trace.column("iteration");
    double[] evaluations = trace.column("evaluations");
    double[] seconds = trace.column("seconds");
    List<Double> perEvaluation = new ArrayList<>();
    for (int r = 1; r < iteration.length; r++) {
      if (iteration[r] >= STEADY_FROM_ITERATION && iteration[r - 1] == iteration[r] - 1
          && evaluations[r] - evaluations[r - 1] == 1) {
        double dt = seconds[r] - seconds[r - 1];
        if (!Double.isNaN(dt)) {
          perEvaluation.add(dt / (evaluations[r] - evaluations[r - 1]));
        }
      }
    }
    if (perEvaluation.size() < STEADY_MIN_ITERATIONS) {
      return Double.NaN;
    }
    double[] sorted = perEvaluation.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /**
   * The hardware floor for one evaluation: the objective's own loss+gradient kernels at a fixed point,
   * blocks on {@code threads} threads, nothing else (no optimiser, no dataflow); the median of 9
   * timed evaluations after 3 warm-up ones.
   */
  private static String[] kernelFloor(Path data, double lambda, int partitions, int threads)
      throws IOException {
    var dataset = org.lbfgsbeam.core.data.LibsvmReader.read(data);
    var objective = new org.lbfgsbeam.core.objective.SoftmaxObjective(dataset, lambda, partitions);
    var pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      double[][] w = new double[partitions][];
      for (int b = 0; b < partitions; b++) {
        w[b] = new double[objective.partitioning().blockSize(b)];
      }
      double[] times = new double[12];
      for (int rep = 0; rep < times.length; rep++) {
        long start = System.nanoTime();
        double[][] z = new double[partitions][];
        double[][] stats = new double[partitions][];
        List<java.util.concurrent.Future<?>> jobs = new ArrayList<>();
        for (int b = 0; b < partitions; b++) {
          int block = b;
          jobs.add(pool.submit(() -> {
            z[block] = objective.margins(block, w[block]);
            stats[block] = objective.partialStatistics(block, z[block]);
          }));
        }
        await(jobs);
        var combined = objective.combine(stats);
        jobs.clear();
        for (int b = 0; b < partitions; b++) {
          int block = b;
          jobs.add(pool.submit(() -> objective.gradient(block, w[block], z[block],
              combined.broadcast(), new double[w[block].length])));
        }
        await(jobs);
        times[rep] = (System.nanoTime() - start) / 1e9;
      }
      double[] timed = java.util.Arrays.copyOfRange(times, 3, times.length);
      java.util.Arrays.sort(timed);
      return new String[] {"kernel floor (" + threads + " threads)", "", "1", "", "",
          String.format(Locale.ROOT, "%.3f", timed[timed.length / 2]), "", "", "", "", "",
          String.format(Locale.ROOT, "%.3f", timed[timed.length / 2]), "2", ""};
    } finally {
      pool.shutdownNow();
    }
  }

  private static void await(List<java.util.concurrent.Future<?>> jobs) throws IOException {
    for (var job : jobs) {
      try {
        job.get();
      } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
        throw new IOException(e);
      }
    }
  }
}
