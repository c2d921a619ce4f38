package org.lbfgsbeam.pipelines;

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
final class CompareCommand {
  static final String DEFAULT_RUNS = "sgd:lr=0.05,adam:lr=0.001,mlbfgs:lr=0.05,lbfgs";
  static final String OPTIMIZERS = "sgd, adam, mlbfgs, kfac, lbfgs";
  /** The full-batch run's L-BFGS history m. */
  static final int LBFGS_HISTORY = 10;

  /** What the table's columns mean: in --help and in compare.md. */
  static final String NOTES = String.join("\n",
      "epoch: a pass over the training data; for lbfgs an objective evaluation (its trace row at",
      "e evaluations is the iterate after e passes; its first row, at 1, is the start point).",
      "epochs (seconds) to target: of the first epoch whose validation accuracy is >= the target.",
      "best validation accuracy (epoch): the highest, and the first epoch that had it. seconds per",
      "epoch: the run's seconds (its summary; JVM start-up and reading the data excluded) /",
      "epochs. optimizer bytes per worker: the optimiser state one worker holds: stochastic runs,",
      "that of the largest parameter block (optimizerBytesPerBlockMax); lbfgs, its (2m+2) vectors",
      "of a block of n/P doubles (optimizerBytesPerWorker, Najafabadi et al. Tables 2-4); kB, MB",
      "are 10^3, 10^6 bytes. peak RSS (GB, 10^9 bytes): VmHWM of the run's child JVM. train loss:",
      "stochastic runs, the mean of the epoch's mini-batch losses (the parameters moving during",
      "the epoch); lbfgs, f at the iterate (the mean loss plus lambda/2 |W|^2).");

  static final String HELP = String.join("\n",
      "usage: compare --data FILE --validation FILE --output DIR [options]",
      "",
      "Trains one multilayer perceptron with several optimisers, each in a child JVM, with the",
      "same seed (start point and mini-batch order), threads and number of passes over the data;",
      "prints a Markdown table (a row as each run ends) and writes DIR/compare.md, the figures",
      "DIR/figures/*.png (validation accuracy against epoch and against seconds, train loss",
      "against epoch on a log scale; a line per run) and each run in DIR/runs/<run>/ (<run>:",
      "the entry of --runs with ':' as '_'). A run that fails gets a row saying why; one that",
      "diverged after some epochs gets its row from its trace so far (final accuracy: diverged)",
      "and its message below the table; the others still run; its trace so far is drawn in the",
      "accuracy figures only.",
      "",
      "  --data FILE           training set: LIBSVM, or IDX images (labels beside) (required)",
      "  --validation FILE     held-out set, scored after every epoch (required)",
      "  --hidden SIZES        hidden layer sizes (default 512,256)",
      "  --activation NAME     relu | tanh | sigmoid (default relu)",
      "  --epochs N            passes over the training data per run (default 20); lbfgs gets",
      "                        --max-evaluations N --max-iterations N and tolerances 0",
      "  --batch-size N        examples per step (lbfgs: per batch of its full sum) (default 128)",
      "  --seed N              initialisation and mini-batch order, the same for every run",
      "                        (default 1)",
      "  --threads N           threads of each run (default 2)",
      "  --target ACCURACY     the validation accuracy to reach, in (0, 1] (default 0.88)",
      "  --runs LIST           comma-separated runs, each NAME or",
      "                        NAME:lr=X[:schedule=S][:momentum=M][:weight-decay=W], NAME one of",
      "                        " + OPTIMIZERS + " and S constant | cosine | step; unset settings",
      "                        are train's defaults; momentum: sgd, mlbfgs; lbfgs takes none;",
      "                        mlbfgs also history=M, pair-period=T, averaging=B, kl-clip=K,",
      "                        history-precision=double|float; kfac also damping=G,",
      "                        kl-clip=K, inversion=eigen|tikhonov, fisher=empirical|true,",
      "                        factor-interval=N, inverse-interval=N,",
      "                        inverse-precision=double|float; every stochastic run also",
      "                        batch-size=N (its own, instead of --batch-size), epochs=N",
      "                        (its own budget) and init=default|sparse",
      "                        (default " + DEFAULT_RUNS + ")",
      "  --lbfgs-lambda L      lbfgs: L2 on the weights (default 1e-5); history "
          + LBFGS_HISTORY + ". The",
      "                        stochastic runs use their weight-decay",
      "  --output DIR          compare.md, figures/, runs/ (required)",
      "  --help                this text",
      "",
      "A learning-rate sweep is several runs of one optimiser with different lr, e.g.",
      "--runs sgd:lr=0.02,sgd:lr=0.05,sgd:lr=0.1,adam:lr=0.001,lbfgs: each is a row and a line.",
      "",
      NOTES);

  static final String[] HEADER = {"run", "epochs to target", "seconds to target",
      "best validation accuracy (epoch)", "final validation accuracy", "seconds per epoch",
      "optimizer bytes per worker", "peak RSS (GB)"};

  static final String ACCURACY_BY_EPOCH = "validation-accuracy-by-epoch.png";
  static final String ACCURACY_BY_TIME = "validation-accuracy-by-time.png";
  static final String TRAIN_LOSS_BY_EPOCH = "train-loss-by-epoch.png";

  private static final Set<String> VALUED = Set.of("data", "validation", "hidden", "activation",
      "epochs", "batch-size", "seed", "threads", "target", "runs", "lbfgs-lambda", "output");
  private static final Set<String> SETTINGS = Set.of("lr", "schedule", "momentum", "weight-decay",
      "history", "pair-period", "averaging", "kl-clip", "history-precision", "damping",
      "inversion", "fisher", "factor-interval", "inverse-interval", "inverse-precision",
      "batch-size", "epochs", "init");
  /** The settings only mL-BFGS or K-FAC take (passed to train as {@code --KEY VALUE}), by optimiser. */
  private static final Map<String, Set<String>> OWN_SETTINGS = Map.of(
      "mlbfgs", Set.of("history", "pair-period", "averaging", "kl-clip", "history-precision"),
      "kfac", Set.of("damping", "kl-clip", "inversion", "fisher", "factor-interval",
          "inverse-interval", "inverse-precision"));

  private CompareCommand() {}

  /**
   * One entry of {@code --runs}: the optimiser and the settings given for it.
   *
   * @param label the entry as given, the run's name in the table and the legends
   * @param optimizer sgd | adam | mlbfgs | lbfgs
   * @param settings lr, schedule, momentum, weight-decay as given (validated), in their order
   */
  record Run(String label, String optimizer, Map<String, String> settings) {
    /** The run's directory name under DIR/runs: the label with ':' (and anything odd) as '_'. */
    String directoryName() {
      return label.replaceAll("[^A-Za-z0-9.=+-]", "_");
    }

    boolean fullBatch() {
      return optimizer.equals("lbfgs");
    }
  }

  /**
   * A run's curve, a point per epoch (pass over the training data); NaN where its trace has no
   * validation accuracy.
   */
  record Curve(double[] epoch, double[] accuracy, double[] seconds, double[] trainLoss) {}

  static void run(List<String> args, PrintStream out, PrintStream err) throws IOException {
    CommandLine cl = CommandLine.parse(args, VALUED, Set.of("help"));
    Path data = Paths.get(cl.required("data"));
    Path validation = Paths.get(cl.required("validation"));
    Path dir = Paths.get(cl.required("output"));
    String hidden = hidden(cl.string("hidden", "512,256"));
    String activation = cl.string("activation", "relu");
    if (!List.of("relu", "tanh", "sigmoid").contains(activation)) {
      throw new CommandLine.UsageException("--activation must be one of relu, tanh, sigmoid, but"
          + " was: " + activation);
    }
    int epochs = positive(cl, "epochs", 20);
    int batchSize = positive(cl, "batch-size", 128);
    int threads = positive(cl, "threads", 2);
    int seed = cl.integer("seed", 1);
    double target = cl.number("target", 0.88);
    if (!(target > 0 && target <= 1)) {
      throw new CommandLine.UsageException("--target must be an accuracy in (0, 1], but was: "
          + cl.string("target", ""));
    }
    double lambda = cl.number("lbfgs-lambda", 1e-5);
    if (lambda < 0) {
      throw new CommandLine.UsageException("--lbfgs-lambda must be >= 0, but was: " + lambda);
    }
    List<Run> runs = parseRuns(cl.string("runs", DEFAULT_RUNS));
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
        Double.toString(lambda), LBFGS_HISTORY, Double.toString(target));
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

  /**
   * The entries of {@code --runs}, validated: a known optimiser, known settings each once with a
   * valid value, no entry twice.
   */
  static List<Run> parseRuns(String list) {
    List<Run> runs = new ArrayList<>();
    Set<String> directories = new HashSet<>();
    for (String entry : list.split(",", -1)) {
      String[] parts = entry.strip().split(":", -1);
      String name = parts[0];
      if (!List.of("sgd", "adam", "mlbfgs", "kfac", "lbfgs").contains(name)) {
        throw badRun("NAME must be one of " + OPTIMIZERS, entry);
      }
      if (name.equals("lbfgs") && parts.length > 1) {
        throw badRun("lbfgs takes no settings (its lambda is --lbfgs-lambda)", entry);
      }
      Map<String, String> settings = new LinkedHashMap<>();
      for (int i = 1; i < parts.length; i++) {
        String[] kv = parts[i].split("=", 2);
        if (kv.length != 2 || !SETTINGS.contains(kv[0])) {
          throw badRun("settings are lr=X, schedule=S, momentum=M, weight-decay=W (for mlbfgs also"
              + " history=M, pair-period=T, averaging=B, kl-clip=K, history-precision=P; for kfac"
              + " damping=G, kl-clip=K, inversion=I, fisher=F, factor-interval=N,"
              + " inverse-interval=N, inverse-precision=P; any stochastic run batch-size=N,"
              + " epochs=N,"
              + " init=I)",
              entry);
        }
        if (settings.put(kv[0], kv[1]) != null) {
          throw badRun(kv[0] + " is given twice", entry);
        }
        checkSetting(name, kv[0], kv[1], entry);
      }
      Run run = new Run(entry.strip(), name, settings);
      if (!directories.add(run.directoryName())) {
        throw badRun("each run must differ from the others", entry);
      }
      runs.add(run);
    }
    return runs;
  }

  private static void checkSetting(String optimizer, String key, String value, String entry) {
    for (Map.Entry<String, Set<String>> own : OWN_SETTINGS.entrySet()) {
      if (own.getValue().contains(key) && !OWN_SETTINGS.getOrDefault(optimizer, Set.of())
          .contains(key)) {
        throw badRun(key + " is a setting of " + (key.equals("kl-clip") ? "mlbfgs and kfac"
            : own.getKey()), entry);
      }
    }
    switch (key) {
      case "history", "pair-period", "factor-interval", "inverse-interval", "batch-size",
          "epochs" -> {
        double v = settingNumber(key, value, entry);
        if (!(v >= 1 && v == Math.rint(v))) {
          throw badRun(key + " must be a positive integer", entry);
        }
      }
      case "averaging" -> {
        double b = settingNumber(key, value, entry);
        if (!(b >= 0 && b < 1)) {
          throw badRun("averaging must be in [0, 1)", entry);
        }
      }
      case "history-precision", "inverse-precision" -> {
        if (!List.of("double", "float").contains(value)) {
          throw badRun(key + " must be double or float", entry);
        }
      }
      case "damping" -> {
        if (!(settingNumber(key, value, entry) > 0)) {
          throw badRun("damping must be positive", entry);
        }
      }
      case "init" -> {
        if (!List.of("default", "sparse").contains(value)) {
          throw badRun("init must be default or sparse", entry);
        }
      }
      case "inversion" -> {
        if (!List.of("eigen", "tikhonov").contains(value)) {
          throw badRun("inversion must be eigen or tikhonov", entry);
        }
      }
      case "fisher" -> {
        if (!List.of("empirical", "true").contains(value)) {
          throw badRun("fisher must be empirical or true", entry);
        }
      }
      case "kl-clip" -> {
        if (!(settingNumber(key, value, entry) > 0)) {
          throw badRun("kl-clip must be positive", entry);
        }
      }
      case "schedule" -> {
        if (!List.of("constant", "cosine", "step").contains(value)) {
          throw badRun("schedule must be constant, cosine or step", entry);
        }
      }
      case "momentum" -> {
        if (optimizer.equals("adam")) {
          throw badRun("adam has no momentum setting", entry);
        }
        double m = settingNumber(key, value, entry);
        if (!(m >= 0 && m < 1)) {
          throw badRun("momentum must be in [0, 1)", entry);
        }
      }
      case "lr" -> {
        if (!(settingNumber(key, value, entry) > 0)) {
          throw badRun("lr must be positive", entry);
        }
      }
      default -> { // weight-decay
        if (settingNumber(key, value, entry) < 0) {
          throw badRun("weight-decay must be >= 0", entry);
        }
      }
    }
  }

  private static double settingNumber(String key, String value, String entry) {
    try {
      double d = Double.parseDouble(value);
      if (Double.isFinite(d)) {
        return d;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw badRun(key + " must be a finite number", entry);
  }

  private static CommandLine.UsageException badRun(String why, String entry) {
    return new CommandLine.UsageException("--runs entries are NAME or NAME:lr=X[:schedule=S]"
        + "[:momentum=M][:weight-decay=W]; " + why + ", but one was: '" + entry + "'");
  }

  /** train's options for {@code run}, beside the common ones. */
  static List<String> optimizerArgs(Run run, int epochs, double lambda) {
    String e = Integer.toString(epochs);
    if (run.fullBatch()) {
      return List.of("--lambda", Double.toString(lambda), "--history",
          Integer.toString(LBFGS_HISTORY), "--max-evaluations", e, "--max-iterations", e,
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
    md.append(NOTES).append('\n');
    TrainCommand.writeAtomically(file, md.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** {@code --hidden}: positive layer sizes separated by commas, as given. */
  static String hidden(String sizes) {
    for (String part : sizes.split(",", -1)) {
      try {
        if (Integer.parseInt(part.strip()) >= 1) {
          continue;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new CommandLine.UsageException("--hidden must be positive layer sizes separated by"
          + " commas (e.g. 512,256), but was: " + sizes);
    }
    return sizes;
  }

  static int positive(CommandLine cl, String name, int fallback) {
    int v = cl.integer(name, fallback);
    if (v < 1) {
      throw new CommandLine.UsageException("--" + name + " must be positive, but was: " + v);
    }
    return v;
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

  static boolean wantsHelp(List<String> args) {
    return args.contains("--help");
  }
}
