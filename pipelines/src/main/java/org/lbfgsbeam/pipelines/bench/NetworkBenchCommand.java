package org.lbfgsbeam.pipelines.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.lbfgsbeam.core.batch.BatchSumObjective;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.nn.Blas;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.MlpObjective;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.pipelines.cli.BlasThreads;
import org.lbfgsbeam.pipelines.cli.CommandLine;
import org.lbfgsbeam.pipelines.cli.EvaluateOptions;
import org.lbfgsbeam.pipelines.cli.NetworkBenchOptions;
import org.lbfgsbeam.pipelines.cli.Runner;
import org.lbfgsbeam.pipelines.cli.TrainOptions;
import org.lbfgsbeam.pipelines.data.DataFiles;
import org.lbfgsbeam.pipelines.scoring.EvaluateCommand;
import org.lbfgsbeam.pipelines.training.Numbers;
import org.lbfgsbeam.pipelines.training.TrainCommand;
import org.lbfgsbeam.transforms.NetworkSpec;
import org.lbfgsbeam.transforms.ObjectiveCache;

/**
 * {@code bench-network}: trains one multilayer perceptron ({@code train --model mlp}) on several
 * runners and, beside them, the NumPy/SciPy peer ({@code docs/mlp_scipy_peer.py}: {@code
 * fmin_l_bfgs_b} on the same network written in NumPy) from the same start point &theta;<sub>0</sub>,
 * with the same &lambda;, history and threads, and prints a Markdown table: evaluations, iterations,
 * seconds, seconds per evaluation (with and without start-up), final f, test accuracy, peak RSS and
 * the BLAS. A row is printed as each run ends.
 *
 * <ul>
 *   <li>A train runner runs in a child JVM exactly as {@link BenchCommand} forks it; its test
 *       accuracy comes from {@code evaluate} on {@code --test}, in this JVM.</li>
 *   <li>{@code numpy}: &theta;<sub>0</sub>, the start point train draws ({@link
 *       MultilayerPerceptron#initialParameters} with the network's seed), is written to {@code
 *       DIR/theta0.bin} as raw little-endian float64 and handed to the peer with {@code --theta0};
 *       its numbers come from the JSON it writes. It runs under a three-line Python wrapper that
 *       reports its peak RSS ({@code getrusage} ru_maxrss, Linux kB).</li>
 *   <li>{@code kernel}: the floor of one evaluation, in this JVM: the objective train builds
 *       ({@link BatchSumObjective} of {@link MlpObjective#meanLoss}), its shards on {@code
 *       --threads} threads, {@code combine} at &theta;<sub>0</sub>; one warm-up and three timed
 *       evaluations, their mean.</li>
 * </ul>
 */
public final class NetworkBenchCommand {
  /** The line the peer's wrapper writes last: its peak resident set size in bytes. */
  static final String PEAK_RSS_LINE = "bench-network peer peakRssBytes ";
  private static final int TIMED_EVALUATIONS = 3;

  static final String[] HEADER = {"runner", "evaluations", "iterations", "seconds",
      "s / evaluation", "s / evaluation after the first", "final f", "test accuracy",
      "peak RSS (GB)", "BLAS"};

  private static final String PEER_WRAPPER = String.join("\n",
      "import resource, runpy, sys",
      "sys.argv = sys.argv[1:]",
      "try:",
      "    runpy.run_path(sys.argv[0], run_name='__main__')",
      "finally:",
      "    print('" + PEAK_RSS_LINE + "%d' % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss"
          + " * 1024), file=sys.stderr)");

  private NetworkBenchCommand() {}

  public static void run(NetworkBenchOptions o, PrintStream out, PrintStream err)
      throws IOException {
    Path data = o.data();
    Path test = o.test();
    List<String> entries = o.runners();
    String threads = o.threads();
    String lambda = o.lambda();
    String history = o.history();
    String maxIterations = o.maxIterations();
    List<String> common = o.trainArguments();
    TrainOptions options = o.train();
    Path peer = o.peerScript();
    if (entries.contains("numpy") && !Files.isRegularFile(peer)) {
      throw new CommandLine.UsageException("runner numpy needs the peer script "
          + peer.toAbsolutePath().normalize() + ", which does not exist (give --peer-script PATH)");
    }

    SparseDataset dataset = DataFiles.read(data, null);
    DataFiles.requireTwoClasses(dataset, data, "a network");
    NetworkSpec network = fitShards(options.network(), dataset);
    MultilayerPerceptron net;
    try {
      net = ObjectiveCache.networkOf(network, dataset);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.UsageException(e.getMessage());
    }
    if (options.partitions() > net.parameterCount()) {
      throw new CommandLine.UsageException("--partitions must be at most the network's "
          + net.parameterCount() + " parameters, but was: " + options.partitions());
    }
    double[] theta0 = net.initialParameters(network.seed());
    Path dir = o.output() != null ? Files.createDirectories(o.output())
        : Files.createTempDirectory("lbfgs-bench-network");

    String pinned = System.getenv(BlasThreads.VARIABLE);
    out.println(String.format(Locale.ROOT, "network %s (%s hidden layers, softmax cross-entropy;"
        + " batches of %d examples in %d shards; seed %d), lambda %s on the weights, history %s,"
        + " at most %s iterations; threads %s: Java runs %s, the BLAS of each pinned by %s=%s,"
        + " NumPy one process with --threads %s BLAS threads.",
        Arrays.stream(net.layerSizes()).mapToObj(Integer::toString)
            .collect(Collectors.joining("-")),
        network.activation().name().toLowerCase(Locale.ROOT), network.batchSize(),
        network.shards(), network.seed(), lambda, history, maxIterations, threads,
        count(options.threads(), "shard thread"),
        BlasThreads.VARIABLE, pinned == null ? "(unset)" : pinned, threads));
    out.println();
    out.println("| " + String.join(" | ", HEADER) + " |");
    out.println("|" + "---|".repeat(HEADER.length));
    // Rows are printed as each run ends, so a long benchmark keeps what it has measured.
    Consumer<String[]> rows = row -> {
      out.println("| " + String.join(" | ", row) + " |");
      out.flush();
    };
    boolean evaluatedInProcess = false;
    for (String entry : entries) {
      switch (entry) {
        case "kernel" -> {
          err.println("bench-network: kernel");
          String[] row = kernelFloor(net, network, dataset, options.lambda(),
              options.partitions(), options.threads(), theta0, err);
          row[8] = BenchCommand.gigabytes(TrainCommand.peakRssBytes(), evaluatedInProcess);
          rows.accept(row);
        }
        case "numpy" -> {
          Path theta0File = dir.resolve("theta0.bin");
          writeLittleEndian(theta0File, theta0);
          Path json = dir.resolve("numpy.json");
          Files.deleteIfExists(json);
          List<String> command = new ArrayList<>(List.of(o.python(), "-c",
              PEER_WRAPPER, peer.toString(), "--train", data.toString(),
              "--test", test == null ? "none" : test.toString(),
              "--hidden", network.hidden().stream().map(String::valueOf)
                  .collect(Collectors.joining(",")),
              "--activation", network.activation().name().toLowerCase(Locale.ROOT),
              "--lambda", lambda, "--history", history, "--max-iterations", maxIterations,
              "--threads", threads, "--theta0", theta0File.toString(),
              "--output", json.toString()));
          err.println("bench-network: numpy (under a wrapper that reports its peak RSS): "
              + command.get(0) + " " + String.join(" ", command.subList(3, command.size())));
          rows.accept(numpy(command, json, err));
        }
        default -> {
          Path runDir = dir.resolve(entry);
          List<String> train = new ArrayList<>(List.of("train"));
          train.addAll(common);
          train.addAll(List.of("--runner", entry, "--output", runDir.toString(), "--overwrite"));
          err.println("bench-network: " + entry);
          Tail tail = new Tail(err);
          int status = BenchCommand.runChild(BenchCommand.trainCommand(train), tail);
          if (status != 0) {
            rows.accept(failed(entry, "exit " + status + ": " + tail.last));
            continue;
          }
          String accuracy = "";
          if (test != null) {
            accuracy = testAccuracy(runDir, test, err);
            evaluatedInProcess = true;
          }
          rows.accept(trainRow(entry, runDir, accuracy));
        }
      }
    }
  }

  /**
   * The network with its shards fitted to the data as train fits them: the default shard count is
   * cut to the number of batches; an explicit one beyond it is refused.
   */
  static NetworkSpec fitShards(NetworkSpec n, SparseDataset data) {
    long batches = (data.numExamples() + (long) n.batchSize() - 1) / n.batchSize();
    if (batches < 1) {
      throw new CommandLine.UsageException("no examples to train on");
    }
    if (n.shards() <= batches) {
      return n;
    }
    if (n.shards() != TrainOptions.DEFAULT_SHARDS) {
      throw new CommandLine.UsageException("--shards must be at most the number of batches ("
          + batches + " of up to " + n.batchSize() + " examples), but was: " + n.shards());
    }
    return new NetworkSpec(n.hidden(), n.activation(), n.loss(), n.batchSize(), (int) batches,
        n.seed());
  }

  /** Writes {@code values} as raw little-endian float64, the peer's {@code --theta0} format. */
  static void writeLittleEndian(Path file, double[] values) throws IOException {
    ByteBuffer bytes = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asDoubleBuffer().put(values);
    Files.write(file, bytes.array());
  }

  /**
   * The floor of one evaluation: train's objective for this network ({@link MlpObjective#meanLoss}
   * over the batches in {@code network.shards()} shards, &theta; in {@code partitions} blocks), its
   * shards on {@code threads} threads, {@code combine} at &theta;<sub>0</sub>; no optimiser, no
   * dataflow. One warm-up evaluation, then {@value #TIMED_EVALUATIONS} timed ones.
   */
  private static String[] kernelFloor(MultilayerPerceptron net, NetworkSpec network,
      SparseDataset data, double lambda, int partitions, int threads, double[] theta0,
      PrintStream err) {
    List<DenseBatch> batches = DenseBatch.fromDataset(data, network.batchSize());
    try (BatchSumObjective<DenseBatch> objective = BatchSumObjective.of(
        MlpObjective.meanLoss(net, data.numExamples(), lambda), batches, network.shards(),
        partitions, threads, theta0)) {
      double[][] blocks = new double[partitions][];
      for (int b = 0; b < partitions; b++) {
        blocks[b] = objective.startBlock(b);
      }
      double f = objective.combine(blocks).dataLoss(); // warm-up
      long start = System.nanoTime();
      for (int rep = 0; rep < TIMED_EVALUATIONS; rep++) {
        objective.combine(blocks);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      err.println("bench-network: kernel: f(theta0) = " + Numbers.exact(f));
      String perEvaluation = perEvaluation(seconds / TIMED_EVALUATIONS);
      return new String[] {"kernel floor (" + count(threads, "thread") + ")",
          Integer.toString(TIMED_EVALUATIONS), "", String.format(Locale.ROOT, "%.2f", seconds),
          perEvaluation, perEvaluation, "", "", "", Blas.implementationName()};
    }
  }

  /** The test accuracy of the model in {@code runDir}, from evaluate run in this JVM. */
  private static String testAccuracy(Path runDir, Path test, PrintStream err) {
    try {
      ByteArrayOutputStream sink = new ByteArrayOutputStream();
      var metrics = EvaluateCommand.run(EvaluateOptions.parse(List.of("--model",
          runDir.toString(), "--data", test.toString(), "--output",
          runDir.resolve("test-metrics.json").toString(), "--overwrite")), new PrintStream(sink, true, StandardCharsets.UTF_8));
      return String.format(Locale.ROOT, "%.4f", metrics.get("accuracy").asDouble());
    } catch (Exception e) {
      err.println("bench-network: evaluate " + runDir + " on " + test + " failed: " + e);
      return "evaluate failed: " + e.getMessage();
    }
  }

  /** The row of a train run, from its summary.json and trace.csv. */
  static String[] trainRow(String label, Path runDir, String testAccuracy) throws IOException {
    JsonNode s = new ObjectMapper().readTree(runDir.resolve("summary.json").toFile());
    int evaluations = s.get("evaluations").asInt();
    double seconds = s.get("seconds").asDouble();
    return new String[] {label, Integer.toString(evaluations), s.get("iterations").asText(),
        String.format(Locale.ROOT, "%.2f", seconds),
        perEvaluation(seconds / Math.max(1, evaluations)),
        afterFirst(Files.readAllLines(runDir.resolve("trace.csv"))), s.get("objective").asText(),
        testAccuracy, BenchCommand.gigabytes(s.path("peakRssBytes").asLong(-1), false),
        s.path("blas").asText("")};
  }

  /**
   * Seconds per evaluation between the first trace row and the last, as {@link
   * BenchCommand#afterFirst} counts them, with four significant digits; empty with fewer than two
   * rows.
   */
  static String afterFirst(List<String> trace) {
    double perEvaluation = BenchCommand.secondsPerEvaluationAfterFirst(trace);
    return Double.isNaN(perEvaluation) ? "" : perEvaluation(perEvaluation);
  }

  /** Runs the peer and returns its row, or a row saying why it failed. */
  private static String[] numpy(List<String> command, Path json, PrintStream err)
      throws IOException {
    String label = "numpy (SciPy fmin_l_bfgs_b)";
    Tail tail = new Tail(err);
    int status;
    try {
      status = BenchCommand.runChild(command, tail);
    } catch (IOException e) {
      if (Thread.currentThread().isInterrupted()) {
        throw e;
      }
      return failed(label, "cannot run " + command.get(0) + ": " + e.getMessage());
    }
    if (status != 0 || !Files.isRegularFile(json)) {
      return failed(label, "exit " + status + ": " + tail.last);
    }
    return numpyRow(label, new ObjectMapper().readTree(json.toFile()), tail.peakRssBytes);
  }

  /** The row of the peer's JSON summary; {@code peakRssBytes} -1 when unknown. */
  static String[] numpyRow(String label, JsonNode s, long peakRssBytes) {
    JsonNode blas = s.path("blas");
    String blasName = String.join(" ", blas.path("name").asText(""),
        blas.path("version").asText("")).trim();
    if (s.path("threads").canConvertToInt()) {
      blasName += (blasName.isEmpty() ? "" : ", ") + count(s.get("threads").asInt(), "thread");
    }
    JsonNode accuracy = s.path("testAccuracy");
    return new String[] {label, s.path("evaluations").asText(), s.path("iterations").asText(),
        String.format(Locale.ROOT, "%.2f", s.path("seconds").asDouble()),
        perEvaluation(s.path("secondsPerEvaluation").asDouble()),
        perEvaluation(s.path("secondsPerEvaluationInObjective").asDouble()),
        s.path("objective").asText(),
        accuracy.isNumber() ? String.format(Locale.ROOT, "%.4f", accuracy.asDouble()) : "",
        BenchCommand.gigabytes(peakRssBytes, false), blasName};
  }

  /** "1 thread", "2 threads". */
  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  private static String perEvaluation(double seconds) {
    return String.format(Locale.ROOT, "%.4g", seconds);
  }

  private static String[] failed(String label, String why) {
    String[] row = new String[HEADER.length];
    Arrays.fill(row, "");
    row[0] = label;
    row[1] = "failed (" + why.replace('|', '/').strip() + ")";
    return row;
  }

  /**
   * A child's output on its way to {@code err}: keeps the last line that is neither blank nor
   * indented (a stack trace's frames are: its message or last cause is kept), for a failed row, and
   * takes out the peer wrapper's peak-RSS line.
   */
  private static final class Tail extends PrintStream {
    String last = "";
    long peakRssBytes = -1;

    Tail(PrintStream err) {
      super(err, true, StandardCharsets.UTF_8);
    }

    @Override
    public void println(String line) {
      if (line.startsWith(PEAK_RSS_LINE)) {
        try {
          peakRssBytes = Long.parseLong(line.substring(PEAK_RSS_LINE.length()).trim());
          return;
        } catch (NumberFormatException e) {
          // not ours after all: pass it on
        }
      }
      super.println(line);
      if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
        last = line.strip();
      }
    }
  }
}
