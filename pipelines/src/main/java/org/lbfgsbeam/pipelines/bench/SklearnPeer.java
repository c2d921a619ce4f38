package org.lbfgsbeam.pipelines.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.objective.CombinedStatistics;
import org.lbfgsbeam.core.objective.SoftmaxObjective;

/**
 * Runner {@code sklearn} of {@code bench}: scikit-learn's {@code LogisticRegression(solver="lbfgs",
 * fit_intercept=False, C=1/(N λ), tol, max_iter)} on the same LIBSVM file, in Python child
 * processes running {@value #SCRIPT} (a resource of this jar, written into the run's directory;
 * its docstring derives why C = 1/(N λ) gives this project's minimiser, and C = 2/(N λ) with
 * W = [−coef/2, coef/2] for two classes). Three children, one after another:
 *
 * <ol>
 *   <li>the install step, {@code python3 sklearn_peer.py --ensure}: finds an interpreter that
 *       imports scikit-learn, or installs it into a virtual environment, and names the
 *       interpreter on its last line; the other two run with that interpreter;
 *   <li>the fit, as a user would run it (start, imports, load, one fit, write W): its wall time
 *       here is the row's whole-process time, its {@code fitSeconds} the row's seconds;
 *   <li>only when the fit's f is at most f*(1+1e-6): the time to target, the fit with the smallest
 *       {@code max_iter} that gets there (bisection up to the fit's iterations), whose fit seconds
 *       are the row's time to f*(1+1e-6).
 * </ol>
 *
 * <p>Every f reported is recomputed here, by {@link SoftmaxObjective}, from the W the peer wrote
 * (K &times; D little-endian float64, rows in class order, {@code weights.bin}); the peer's own
 * NumPy value is printed beside it.
 */
final class SklearnPeer {
  static final String SCRIPT = "sklearn_peer.py";
  static final String LABEL = "sklearn (lbfgs)";
  /** The line of {@code --ensure} that names the interpreter to use. */
  static final String PYTHON_LINE = "sklearn-peer python ";
  /** Where a row's failure starts when scikit-learn could not be found or installed. */
  static final String UNAVAILABLE = "scikit-learn unavailable: ";

  /** The peer's options as bench passes them. */
  record Settings(String python, Path script, double tolerance, int maxIterations, int threads) {}

  /**
   * What the peer measured: the fit's summary.json, f of its W recomputed here, the wall seconds
   * of the fit's process, the target f*(1+1e-6), and, when the fit reached it and the bisection
   * ran, the time-to-target run's summary.json and f; or, with every other field null or NaN, why
   * it failed.
   */
  record Outcome(JsonNode fit, double objective, double processSeconds, double target,
      JsonNode toTarget, double objectiveToTarget, String failure) {
    static Outcome failed(String why) {
      return new Outcome(null, Double.NaN, Double.NaN, Double.NaN, null, Double.NaN, why);
    }
  }

  private SklearnPeer() {}

  /**
   * Runs the three children in {@code runDir} ({@code fit/} and {@code target/} below it) and
   * recomputes their f on {@code data}.
   *
   * @param target f*(1+1e-6)
   */
  static Outcome run(Path file, SparseDataset data, double lambda, double target, Settings s,
      Path runDir, PrintStream err) throws IOException {
    Files.createDirectories(runDir);
    Path script = s.script() != null ? s.script() : extractScript(runDir);

    Capture ensure = new Capture(err);
    int status;
    try {
      status = BenchCommand.runChild(List.of(s.python(), script.toString(), "--ensure"), ensure);
    } catch (IOException e) {
      if (Thread.currentThread().isInterrupted()) {
        throw e;
      }
      return Outcome.failed(UNAVAILABLE + "cannot run " + s.python() + ": " + e.getMessage());
    }
    if (status != 0 || ensure.python == null) {
      return Outcome.failed(UNAVAILABLE + ensure.last.replaceFirst("^sklearn peer: ", ""));
    }

    List<String> common = new ArrayList<>(List.of(ensure.python, script.toString(),
        "--data", file.toString(), "--features", Integer.toString(data.numFeatures()),
        "--lambda", Double.toString(lambda), "--tolerance", Double.toString(s.tolerance()),
        "--threads", Integer.toString(s.threads())));
    Path fitDir = runDir.resolve("fit");
    List<String> fitCommand = new ArrayList<>(common);
    fitCommand.addAll(List.of("--max-iterations", Integer.toString(s.maxIterations()),
        "--output", fitDir.toString()));
    Capture fitOutput = new Capture(err);
    long started = System.nanoTime();
    status = BenchCommand.runChild(fitCommand, fitOutput);
    double processSeconds = (System.nanoTime() - started) / 1e9;
    if (status != 0) {
      return Outcome.failed("exit " + status + ": " + fitOutput.last);
    }
    ObjectMapper json = new ObjectMapper();
    JsonNode fit = json.readTree(fitDir.resolve("summary.json").toFile());
    String mismatch = shapeMismatch(fit, data);
    if (mismatch != null) {
      return Outcome.failed(mismatch);
    }
    double f = objective(data, lambda, fitDir.resolve("weights.bin"));
    err.printf(Locale.ROOT, "bench: sklearn: scikit-learn %s (%s), C = %s: %s iterations, stop: %s;"
            + " f = %s (recomputed here), %s (the peer's NumPy)%n",
        fit.path("sklearnVersion").asText(), fit.path("python").asText(), fit.path("C").asText(),
        fit.path("iterations").asText(), fit.path("stopMessage").asText("unknown"), f,
        fit.path("objective").asText());
    if (beforeAveragedObjective(fit.path("sklearnVersion").asText())) {
      err.println("bench: sklearn: warning: scikit-learn before 1.4 hands L-BFGS-B f/lambda, not"
          + " f (C times the summed loss plus the penalty), so its tol is lambda times tighter on"
          + " f's gradient: its fit runs further than 1.4's and later would");
    }
    if (!(f <= target)) {
      return new Outcome(fit, f, processSeconds, target, null, Double.NaN, null);
    }

    Path targetDir = runDir.resolve("target");
    List<String> targetCommand = new ArrayList<>(common);
    targetCommand.addAll(List.of("--target", Double.toString(target),
        "--upper", fit.path("iterations").asText(), "--output", targetDir.toString()));
    Capture targetOutput = new Capture(err);
    status = BenchCommand.runChild(targetCommand, targetOutput);
    if (status != 0) {
      err.println("bench: sklearn: the time-to-target fits failed (exit " + status + ": "
          + targetOutput.last + ")");
      return new Outcome(fit, f, processSeconds, target, null, Double.NaN, null);
    }
    JsonNode toTarget = json.readTree(targetDir.resolve("summary.json").toFile());
    double fToTarget = objective(data, lambda, targetDir.resolve("weights.bin"));
    err.printf(Locale.ROOT, "bench: sklearn: to f*(1+1e-6): max_iter = %s (%d fits of the"
            + " bisection), f = %s (recomputed here)%n",
        toTarget.path("iterationsToTarget").asText(), toTarget.path("probes").size(), fToTarget);
    return new Outcome(fit, f, processSeconds, target, toTarget, fToTarget, null);
  }

  /**
   * Whether scikit-learn {@code version} predates 1.4, whose lbfgs solver minimises the mean loss
   * plus the penalty over C N (scikit-learn pull request 26721); false when it cannot be parsed.
   */
  static boolean beforeAveragedObjective(String version) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)")
        .matcher(version);
    if (!m.find()) {
      return false;
    }
    int major = Integer.parseInt(m.group(1));
    return major < 1 || (major == 1 && Integer.parseInt(m.group(2)) < 4);
  }

  /** Writes the jar's copy of the peer into {@code dir}. */
  static Path extractScript(Path dir) throws IOException {
    Path script = dir.resolve(SCRIPT);
    try (InputStream in = SklearnPeer.class.getResourceAsStream(SCRIPT)) {
      if (in == null) {
        throw new IOException("resource " + SCRIPT + " is missing from the class path");
      }
      Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
    }
    return script;
  }

  /** Why the peer's reading of the file disagrees with this project's, or null when it agrees. */
  static String shapeMismatch(JsonNode summary, SparseDataset data) {
    int[] labels = data.classLabels();
    JsonNode theirs = summary.path("classLabels");
    boolean same = theirs.size() == labels.length
        && summary.path("examples").asInt() == data.numExamples()
        && summary.path("features").asInt() == data.numFeatures();
    for (int c = 0; same && c < labels.length; c++) {
      same = theirs.get(c).isIntegralNumber() && theirs.get(c).asLong() == labels[c];
    }
    return same ? null : "the peer read " + summary.path("examples").asText() + " examples, "
        + summary.path("features").asText() + " features, labels " + theirs + "; this project "
        + data.numExamples() + ", " + data.numFeatures() + ", "
        + java.util.Arrays.toString(labels);
  }

  /**
   * f(W) by {@link SoftmaxObjective} in one class block, W read from {@code weights}: K &times; D
   * little-endian float64, row-major (entry c·D + j is W[c][j]), laid out here feature-major as
   * the objective's block stores it (entry j·K + c).
   *
   * @throws IOException if the file cannot be read or its length is not 8·K·D bytes
   */
  static double objective(SparseDataset data, double lambda, Path weights) throws IOException {
    int k = data.numClasses();
    int d = data.numFeatures();
    double[] w = new double[Math.multiplyExact(k, d)];
    try (FileChannel channel = FileChannel.open(weights)) {
      if (channel.size() != 8L * w.length) {
        throw new IOException(weights + " has " + channel.size() + " bytes, not 8 x " + k
            + " classes x " + d + " features = " + 8L * w.length);
      }
      DoubleBuffer rows = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size())
          .order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
      for (int c = 0; c < k; c++) {
        for (int j = 0; j < d; j++) {
          w[j * k + c] = rows.get();
        }
      }
    }
    SoftmaxObjective objective = new SoftmaxObjective(data, lambda, 1);
    double[] z = objective.margins(0, w);
    CombinedStatistics combined = objective.combine(
        new double[][] {objective.partialStatistics(0, z)});
    return combined.dataLoss() + objective.valueShare(0, w, z, combined.broadcast());
  }

  /**
   * A child's output on its way to {@code err}: keeps the interpreter {@code --ensure} names (that
   * line is not passed on) and the last line that is neither blank nor indented, for a failed
   * row.
   */
  private static final class Capture extends PrintStream {
    String python;
    String last = "no output";

    Capture(PrintStream err) {
      super(err, true, StandardCharsets.UTF_8);
    }

    @Override
    public void println(String line) {
      if (line.startsWith(PYTHON_LINE)) {
        python = line.substring(PYTHON_LINE.length()).strip();
        return;
      }
      super.println(line);
      if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
        last = line.strip();
      }
    }
  }
}
