package org.lbfgsbeam.pipelines;

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
import java.util.Set;

/**
 * {@code bench}: trains the same set with the same options on several runners, one after another in
 * this JVM, and prints a table of what each took: supersteps, wall time, time per superstep, and the
 * wall time and evaluations until f first reached f*(1+1e-6) (f* from {@code --reference}). Every
 * number comes from the runs' own summary.json and trace.csv.
 */
final class BenchCommand {
  static final String HELP = String.join("\n",
      "usage: bench --data FILE --lambda L --reference F [options]",
      "",
      "Runs train on each runner in turn and prints a Markdown table.",
      "",
      "  --data FILE               LIBSVM training file (required)",
      "  --lambda L                L2 regularisation (required)",
      "  --reference F             f*, the optimum (e.g. from shared/data/REFERENCE.md) (required)",
      "  --runners LIST            comma-separated runners; a runner may be suffixed @host:port to",
      "                            run on a cluster; 'kernel' times the bare loss+gradient loop",
      "                            (default kernel,local,direct,beam-flink,flink)",
      "  --partitions P            (default 4)",
      "  --threads N               (default 2)",
      "  --history M               (default 5)",
      "  --max-iterations N        per run (default 500)",
      "  --gradient-tolerance T    (default 1e-7)",
      "  --output DIR              where the runs are kept (default: a temporary directory)",
      "  --help                    this text");

  private static final Set<String> VALUED = Set.of("data", "lambda", "reference", "runners",
      "partitions", "threads", "history", "max-iterations", "gradient-tolerance", "output");

  private BenchCommand() {}

  static void run(List<String> args, PrintStream out, PrintStream err) throws IOException {
    CommandLine cl = CommandLine.parse(args, VALUED, Set.of("help"));
    String data = cl.required("data");
    String lambda = Double.toString(cl.number("lambda", Double.NaN));
    double reference = cl.number("reference", Double.NaN);
    if (!(reference > 0)) {
      throw new CommandLine.UsageException("--reference must be positive, but was: " + reference);
    }
    Path dir = cl.has("output") ? Paths.get(cl.required("output"))
        : Files.createTempDirectory("lbfgs-bench");
    out.println("| runner | supersteps | evaluations | seconds | s / superstep | s / evaluation"
        + " | s to f*(1+1e-6) | evaluations to f*(1+1e-6) | final f |");
    out.println("|---|---|---|---|---|---|---|---|---|");
    // Rows are printed as each run ends, so a long benchmark keeps what it has measured.
    java.util.function.Consumer<String[]> rows = row -> {
      out.println("| " + String.join(" | ", row) + " |");
      out.flush();
    };
    for (String entry : cl.string("runners", "kernel,local,direct,beam-flink,flink").split(",")) {
      if (entry.equals("kernel")) {
        rows.accept(kernelFloor(Paths.get(data), Double.parseDouble(lambda),
            Integer.parseInt(cl.string("partitions", "4")),
            Integer.parseInt(cl.string("threads", "2"))));
        continue;
      }
      String[] parts = entry.split("@", 2);
      String runner = parts[0];
      String master = parts.length > 1 ? parts[1] : "[local]";
      String label = runner + (parts.length > 1 ? " (cluster " + master + ")" : "");
      Path runDir = dir.resolve(entry.replaceAll("[^A-Za-z0-9.-]", "_"));
      List<String> train = new ArrayList<>(List.of("train", "--data", data, "--lambda", lambda,
          "--runner", runner, "--flink-master", master,
          "--partitions", cl.string("partitions", "4"), "--threads", cl.string("threads", "2"),
          "--history", cl.string("history", "5"),
          "--max-iterations", cl.string("max-iterations", "500"),
          "--gradient-tolerance", cl.string("gradient-tolerance", "1e-7"),
          "--progress-tolerance", "0", "--output", runDir.toString(), "--overwrite"));
      err.println("bench: " + label);
      ByteArrayOutputStream sink = new ByteArrayOutputStream();
      int status = Main.run(train, new PrintStream(sink, true, StandardCharsets.UTF_8), err);
      if (status != 0) {
        rows.accept(new String[] {label, "failed (exit " + status + ")", "", "", "", "", "", "", ""});
        continue;
      }
      rows.accept(row(label, runDir, reference));
    }
  }

  private static String[] row(String label, Path runDir, double reference) throws IOException {
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
        String.format(Locale.ROOT, "%.3f", seconds / s.get("evaluations").asInt()), toTarget,
        evaluationsToTarget, s.get("objective").asText()};
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
          String.format(Locale.ROOT, "%.3f", timed[timed.length / 2]), "", "", ""};
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

  static boolean wantsHelp(List<String> args) {
    return args.contains("--help");
  }
}
