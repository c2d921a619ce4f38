package org.lbfgsbeam.pipelines.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.lbfgsbeam.pipelines.cli.CompareOptions.Run;
import org.lbfgsbeam.pipelines.cli.CompareOptions;
import org.lbfgsbeam.pipelines.data.DataFiles;
import org.lbfgsbeam.pipelines.training.Charts;
import org.lbfgsbeam.pipelines.training.TrainCommand;

/**
 * {@code compare}: trains one network on one data set with several optimisers, one after another,
 * each in a child JVM ({@code train}, forked as {@link BenchCommand} forks it), with the same seed
 * (so the same start point, and for the stochastic runs the same mini-batch order), threads and
 * budget of passes over the training data; then tabulates and draws them as the mL-BFGS paper does:
 * validation accuracy against the epoch and against the seconds, the train loss against the epoch,
 * and a table of epochs and seconds to a target accuracy, best and final accuracy, seconds per
 * epoch and memory. A learning-rate sweep is several runs of one optimiser in {@code --runs}.
 *
 * <p>An epoch is one pass over the training data: for a stochastic run ({@code sgd}, {@code adam},
 * {@code mlbfgs}) a row of its trace; for full-batch L-BFGS ({@code lbfgs}) an objective
 * evaluation, so its points are its trace rows at their {@code evaluations}, and it gets {@code
 * --max-evaluations} = {@code --max-iterations} = {@code --epochs} with both tolerances 0, so the
 * budget alone stops it. A run that fails gets a row saying so; one that diverged after writing
 * trace rows gets its row from them, its message below the table; the others still run.
 */
public final class CompareCommand {
  static final String[] HEADER = {"run", "epochs to target", "seconds to target",
      "best validation accuracy (epoch)", "final validation accuracy", "seconds per epoch",
      "optimizer bytes per worker", "peak RSS (GB)"};

  static final String ACCURACY_BY_EPOCH = "validation-accuracy-by-epoch.png";
  static final String ACCURACY_BY_TIME = "validation-accuracy-by-time.png";
  static final String TRAIN_LOSS_BY_EPOCH = "train-loss-by-epoch.png";

  private CompareCommand() {}

  /**
   * A run's curve, a point per epoch (pass over the training data); NaN where its trace has no
   * validation accuracy.
   */
  record Curve(double[] epoch, double[] accuracy, double[] seconds, double[] trainLoss) {}

  public static void run(CompareOptions o, PrintStream out, PrintStream err) throws IOException {
    Path data = o.data();
    Path validation = o.validation();
    Path dir = o.output();
    String hidden = o.hidden();
    String activation = o.activation();
    int epochs = o.epochs();
    int batchSize = o.batchSize();
    int threads = o.threads();
    int seed = o.seed();
    double target = o.target();
    double lambda = o.lbfgsLambda();
    List<Run> runs = o.runs();
    for (Path file : List.of(data, validation)) {
      if (!Files.isRegularFile(file)) {
        throw new NoSuchFileException(file.toString());
      }
    }
    // Once here rather than in every run's child JVM: data of one class learns nothing. The set is
    // dropped at once; the runs read it themselves.
    DataFiles.requireTwoClasses(DataFiles.read(data, null), data, "a network");

    Files.createDirectories(dir.resolve("runs"));
    List<String> common = List.of("--model", "mlp", "--data", data.toString(),
        "--validation", validation.toString(), "--hidden", hidden, "--activation", activation,
        "--seed", Integer.toString(seed),
        "--threads", Integer.toString(threads));
    String setting = String.format(Locale.ROOT, "network: hidden %s, %s, softmax cross-entropy;"
        + " %d epochs (passes over the training data) per run, batches of %d, seed %d, %d"
        + " thread%s; lbfgs: lambda %s, history %d; target validation accuracy %s.", hidden,
        activation, epochs, batchSize, seed, threads, threads == 1 ? "" : "s",
        Double.toString(lambda), CompareOptions.LBFGS_HISTORY, Double.toString(target));
    out.println(setting);
    out.println();
    out.println(tableLine(HEADER));
    out.println("|" + "---|".repeat(HEADER.length));
    out.flush();

    List<String[]> rows = new ArrayList<>();
    List<String> remarks = new ArrayList<>();
    Map<String, Curve> curves = new LinkedHashMap<>(); // every run with trace rows
    Set<String> finished = new HashSet<>(); // the legends of the runs that finished
    for (Run run : runs) {
      Path runDir = dir.resolve("runs").resolve(run.directoryName());
      if (Files.exists(runDir)) {
        TrainCommand.deleteRecursively(runDir); // no stale trace of an earlier compare
      }
      List<String> train = new ArrayList<>(List.of("train", "--optimizer", run.optimizer()));
      train.addAll(common);
      if (!run.settings().containsKey("batch-size")) {
        train.addAll(List.of("--batch-size", Integer.toString(batchSize)));
      }
      train.addAll(optimizerArgs(run, epochs, lambda));
      train.addAll(List.of("--output", runDir.toString()));
      err.println("compare: " + run.label());
      Tail tail = new Tail(err);
      int status = BenchCommand.runChild(BenchCommand.trainCommand(train), tail);
      String[] row;
      Curve curve = null;
      String legend = run.label();
      try {
        if (Files.isRegularFile(runDir.resolve("trace.csv"))) {
          curve = readCurve(runDir.resolve("trace.csv")); // a diverged run's trace so far too
        }
        if (status != 0) {
          String what = tail.last.contains("not finite") || tail.last.contains(" diverged: ")
              ? "diverged" : "failed";
          if (what.equals("diverged") && curve != null && curve.epoch().length > 0) {
            // What it reached before it diverged still counts; the message goes below the table.
            row = divergedRow(run.label(), curve, target);
            remarks.add(run.label() + ": exit " + status + ": " + tail.last);
          } else {
            row = failed(run.label(), what, "exit " + status + ": " + tail.last);
          }
          legend = run.label() + " (" + what + ")";
        } else {
          JsonNode summary = new ObjectMapper().readTree(runDir.resolve("summary.json").toFile());
          row = row(run.label(), curve, summary, target);
          finished.add(legend);
          String remark = stoppedEarly(run, summary, epochs);
          if (remark != null) {
            remarks.add(remark);
          }
        }
      } catch (IOException | RuntimeException e) {
        row = failed(run.label(), "failed", "cannot read its results: " + e.getMessage());
      }
      if (curve != null && curve.epoch().length > 0) {
        curves.put(legend, curve);
      }
      rows.add(row);
      out.println(tableLine(row));
      out.flush();
      writeReport(dir.resolve("compare.md"), data, setting, rows, remarks, List.of());
    }

    List<String> figures = drawFigures(dir.resolve("figures"), curves, finished);
    writeReport(dir.resolve("compare.md"), data, setting, rows, remarks, figures);
    out.println();
    for (String remark : remarks) {
      out.println(remark);
    }
    for (String figure : figures) {
      out.println("figure: " + dir.resolve(figure));
    }
    out.println("report: " + dir.resolve("compare.md"));
  }

  /** train's options for {@code run}, beside the common ones. */
  static List<String> optimizerArgs(Run run, int epochs, double lambda) {
    String e = Integer.toString(epochs);
    if (run.fullBatch()) {
      return List.of("--lambda", Double.toString(lambda), "--history",
          Integer.toString(CompareOptions.LBFGS_HISTORY), "--max-evaluations", e, "--max-iterations", e,
          "--gradient-tolerance", "0", "--progress-tolerance", "0");
    }
    List<String> args = new ArrayList<>(List.of("--epochs",
        run.settings().getOrDefault("epochs", e)));
    run.settings().forEach((key, value) -> {
      if (key.equals("epochs")) {
        return; // given above
      }
      args.add("--" + (key.equals("lr") ? "learning-rate" : key));
      args.add(value);
    });
    return args;
  }

  /**
   * A run's curve from its trace.csv, stochastic ({@code epoch,...,trainLoss,...}) or full-batch
   * ({@code iteration,evaluations,objective,...}: the epoch is {@code evaluations}, the train loss
   * {@code objective}), by the header's column names.
   */
  static Curve readCurve(Path traceCsv) throws IOException {
    TraceCsv t = TraceCsv.read(traceCsv);
    String epoch = t.has("epoch") ? "epoch" : "evaluations";
    String loss = t.has("trainLoss") ? "trainLoss" : "objective";
    if (!t.has(epoch) || !t.has(loss) || !t.has("validationAccuracy") || !t.has("seconds")) {
      throw new IOException(traceCsv + ": not a trace with validation accuracy (header "
          + String.join(",", t.header()) + ")");
    }
    return new Curve(t.column(epoch), t.column("validationAccuracy"), t.column("seconds"),
        t.column(loss));
  }

  /** The table row of a finished run, from its curve and summary.json. */
  /**
   * The row of a run that diverged after writing {@code curve}: epochs and seconds to the target,
   * best accuracy and seconds per epoch from its trace so far; "diverged (trace to epoch E)" as its
   * final accuracy; no memory columns (it wrote no summary).
   */
  static String[] divergedRow(String label, Curve curve, double target) {
    ObjectNode partial = new ObjectMapper().createObjectNode();
    partial.put("seconds", curve.seconds()[curve.seconds().length - 1]);
    String[] row = row(label, curve, partial, target);
    if (row.length > 4) {
      row[4] = "diverged (trace to epoch " + epochNumber(curve.epoch()[curve.epoch().length - 1])
          + ")";
    }
    return row;
  }

  static String[] row(String label, Curve curve, JsonNode summary, double target) {
    if (curve == null || curve.epoch().length == 0) {
      return failed(label, "failed", "no trace rows");
    }
    int reached = -1;
    int best = -1;
    int last = -1;
    for (int i = 0; i < curve.epoch().length; i++) {
      double a = curve.accuracy()[i];
      if (Double.isNaN(a)) {
        continue;
      }
      if (reached < 0 && a >= target) {
        reached = i;
      }
      if (best < 0 || a > curve.accuracy()[best]) {
        best = i;
      }
      last = i;
    }
    if (best < 0) {
      return failed(label, "failed", "no validation accuracy in its trace");
    }
    double epochs = curve.epoch()[curve.epoch().length - 1];
    double secondsPerEpoch = summary.has("secondsPerEpoch")
        ? summary.get("secondsPerEpoch").asDouble()
        : summary.path("seconds").asDouble(Double.NaN) / epochs;
    long optimizerBytes = summary.has("optimizerBytesPerBlockMax")
        ? summary.get("optimizerBytesPerBlockMax").asLong()
        : summary.path("optimizerBytesPerWorker").asLong(-1);
    return new String[] {label,
        reached < 0 ? "not reached" : epochNumber(curve.epoch()[reached]),
        reached < 0 ? "" : String.format(Locale.ROOT, "%.2f", curve.seconds()[reached]),
        String.format(Locale.ROOT, "%.4f (%s)", curve.accuracy()[best],
            epochNumber(curve.epoch()[best])),
        String.format(Locale.ROOT, "%.4f", curve.accuracy()[last]),
        Double.isFinite(secondsPerEpoch) ? String.format(Locale.ROOT, "%.3g", secondsPerEpoch) : "",
        bytes(optimizerBytes),
        BenchCommand.gigabytes(summary.path("peakRssBytes").asLong(-1), false)};
  }

  /** A remark when an lbfgs run stopped before its budget of evaluations; else null. */
  private static String stoppedEarly(Run run, JsonNode summary, int epochs) {
    if (!run.fullBatch() || summary.path("evaluations").asInt(epochs) >= epochs) {
      return null;
    }
    return String.format(Locale.ROOT, "%s stopped after %d of %d evaluations: %s (%s).",
        run.label(), summary.path("evaluations").asInt(), epochs,
        summary.path("stopMessage").asText(), summary.path("stopReason").asText());
  }

  private static String epochNumber(double epoch) {
    return epoch == Math.rint(epoch) ? Long.toString((long) epoch) : Double.toString(epoch);
  }

  /** Bytes with an SI unit (B, kB, MB, GB: powers of 1000), three significant digits. */
  static String bytes(long bytes) {
    if (bytes < 0) {
      return "";
    }
    if (bytes < 1000) {
      return bytes + " B";
    }
    String[] units = {"kB", "MB", "GB", "TB"};
    double v = bytes / 1000.0;
    int u = 0;
    while (v >= 999.5 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return String.format(Locale.ROOT, "%.3g %s", v, units[u]);
  }

  private static String[] failed(String label, String what, String why) {
    String[] row = new String[HEADER.length];
    Arrays.fill(row, "");
    row[0] = label;
    row[1] = what + " (" + why.strip() + ")";
    return row;
  }

  static String tableLine(String[] cells) {
    return "| " + String.join(" | ", Arrays.stream(cells).map(c -> c.replace('|', '/'))
        .toArray(String[]::new)) + " |";
  }

  /**
   * The three figures, a line per run; a failed or diverged run's trace so far is drawn in the
   * accuracy figures only (a diverging loss would stretch the log axis over hundreds of decades).
   * Returns the figures' paths relative to the output directory.
   */
  private static List<String> drawFigures(Path figures, Map<String, Curve> curves,
      Set<String> finished) throws IOException {
    List<String> names = new ArrayList<>(curves.keySet());
    List<double[]> epoch = curves.values().stream().map(Curve::epoch).toList();
    List<double[]> seconds = curves.values().stream().map(Curve::seconds).toList();
    List<double[]> accuracy = curves.values().stream().map(Curve::accuracy).toList();
    List<String> lossNames = names.stream().filter(finished::contains).toList();
    List<double[]> lossEpoch = lossNames.stream().map(n -> curves.get(n).epoch()).toList();
    List<double[]> loss = lossNames.stream().map(n -> curves.get(n).trainLoss()).toList();
    List<String> written = new ArrayList<>();
    if (Charts.writeSeries(figures.resolve(ACCURACY_BY_EPOCH), "validation accuracy", "epoch",
        "accuracy", names, epoch, accuracy, false)) {
      written.add("figures/" + ACCURACY_BY_EPOCH);
    }
    if (Charts.writeSeries(figures.resolve(ACCURACY_BY_TIME), "validation accuracy", "seconds",
        "accuracy", names, seconds, accuracy, false)) {
      written.add("figures/" + ACCURACY_BY_TIME);
    }
    if (Charts.writeSeries(figures.resolve(TRAIN_LOSS_BY_EPOCH), "train loss", "epoch",
        "train loss", lossNames, lossEpoch, loss, true)) {
      written.add("figures/" + TRAIN_LOSS_BY_EPOCH);
    }
    return written;
  }

  /** compare.md: the setting, the table, the remarks, the figures and what the columns mean. */
  private static void writeReport(Path file, Path data, String setting, List<String[]> rows,
      List<String> remarks, List<String> figures) throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# Optimisers compared on ").append(data.getFileName()).append("\n\n");
    md.append(setting).append("\n\n");
    md.append(tableLine(HEADER)).append('\n').append("|").append("---|".repeat(HEADER.length))
        .append('\n');
    for (String[] row : rows) {
      md.append(tableLine(row)).append('\n');
    }
    md.append('\n');
    for (String remark : remarks) {
      md.append(remark).append("\n\n");
    }
    for (String figure : figures) {
      md.append("![").append(figure).append("](").append(figure).append(")\n\n");
    }
    md.append(CompareOptions.NOTES).append('\n');
    TrainCommand.writeAtomically(file, md.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A child's output on its way to {@code err}, keeping the last line that is neither blank nor
   * indented (a stack trace's frames are), for a failed run's row.
   */
  static final class Tail extends PrintStream {
    String last = "";

    Tail(PrintStream err) {
      super(err, true, StandardCharsets.UTF_8);
    }

    @Override
    public void println(String line) {
      super.println(line);
      if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
        last = line.strip();
      }
    }
  }
}
