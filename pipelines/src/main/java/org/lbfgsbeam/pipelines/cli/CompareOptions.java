package org.lbfgsbeam.pipelines.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The options of {@code compare}, validated, and its {@code --runs} entries ({@link Run}); the run
 * is {@code org.lbfgsbeam.pipelines.bench.CompareCommand}.
 *
 * @param data the training set
 * @param validation the held-out set, scored after every epoch
 * @param output compare.md, figures/, runs/
 * @param hidden hidden layer sizes, as given (validated)
 * @param activation relu, tanh or sigmoid
 * @param epochs passes over the training data per run
 * @param batchSize examples per step
 * @param threads threads of each run
 * @param seed initialisation and mini-batch order
 * @param target the validation accuracy to reach, in (0, 1]
 * @param lbfgsLambda lbfgs: L2 on the weights
 * @param runs the runs, in order
 */
public record CompareOptions(Path data, Path validation, Path output, String hidden,
    String activation, int epochs, int batchSize, int threads, int seed, double target,
    double lbfgsLambda, List<Run> runs) {
  public static final String DEFAULT_RUNS = "sgd:lr=0.05,adam:lr=0.001,mlbfgs:lr=0.05,lbfgs";
  public static final String OPTIMIZERS = "sgd, adam, mlbfgs, kfac, lbfgs";
  /** The full-batch run's L-BFGS history m. */
  public static final int LBFGS_HISTORY = 10;

  /** What the table's columns mean: in --help and in compare.md. */
  public static final String NOTES = String.join("\n",
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

  public static final String HELP = String.join("\n",
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

  /**
   * One entry of {@code --runs}: the optimiser and the settings given for it.
   *
   * @param label the entry as given, the run's name in the table and the legends
   * @param optimizer sgd | adam | mlbfgs | lbfgs
   * @param settings lr, schedule, momentum, weight-decay as given (validated), in their order
   */
  public record Run(String label, String optimizer, Map<String, String> settings) {
    /** The run's directory name under DIR/runs: the label with ':' (and anything odd) as '_'. */
    public String directoryName() {
      return label.replaceAll("[^A-Za-z0-9.=+-]", "_");
    }

    public boolean fullBatch() {
      return optimizer.equals("lbfgs");
    }
  }

  /** Parses and validates; throws {@link CommandLine.UsageException} with a one-line message. */
  public static CompareOptions parse(List<String> args) {
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
    return new CompareOptions(data, validation, dir, hidden, activation, epochs, batchSize,
        threads, seed, target, lambda, runs);
  }

  /**
   * The entries of {@code --runs}, validated: a known optimiser, known settings each once with a
   * valid value, no entry twice.
   */
  public static List<Run> parseRuns(String list) {
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

  /** {@code --hidden}: positive layer sizes separated by commas, as given. */
  public static String hidden(String sizes) {
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

  public static int positive(CommandLine cl, String name, int fallback) {
    int v = cl.integer(name, fallback);
    if (v < 1) {
      throw new CommandLine.UsageException("--" + name + " must be positive, but was: " + v);
    }
    return v;
  }

  public static boolean wantsHelp(List<String> args) {
    return args.contains("--help");
  }
}
