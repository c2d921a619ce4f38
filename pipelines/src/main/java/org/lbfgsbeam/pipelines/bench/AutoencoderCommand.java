package org.lbfgsbeam.pipelines.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.lbfgsbeam.pipelines.cli.AutoencoderOptions;
import org.lbfgsbeam.pipelines.cli.CompareOptions;
import org.lbfgsbeam.pipelines.training.Charts;
import org.lbfgsbeam.pipelines.training.TrainCommand;

/**
 * {@code autoencoder}: the K-FAC papers' classic benchmark (Martens &amp; Grosse, ICML 2015, &sect;13;
 * Hinton &amp; Salakhutdinov, Science 2006): a deep autoencoder of sigmoid layers trained on images with
 * squared error, by several optimisers on the same mini-batches, each in a child JVM ({@code train
 * --loss squared --targets inputs}, forked as {@link CompareCommand} forks it). After every epoch
 * the run's loss on the whole training set is measured (the set is also its {@code --validation}),
 * so the curves are the training objective itself, not the mean of the mini-batch losses while the
 * parameters move.
 *
 * <p>The reference loss is what the reference runs (by default the {@code adam} runs) reach after
 * their whole budget: the lowest final training loss among them. The table gives each run's steps
 * and seconds to that loss (the first epoch whose loss is at or below it; an epoch is
 * {@code steps per epoch} steps, so a step count is a multiple of it) and the ratio of the reference
 * run's budget to those steps.
 */
public final class AutoencoderCommand {
  static final String[] HEADER = {"run", "steps to reference loss", "seconds to reference loss",
      "reference budget / steps", "final train loss", "best train loss (step)",
      "seconds per step", "peak RSS (GB)"};

  static final String LOSS_BY_STEP = "train-loss-by-step.png";
  static final String LOSS_BY_TIME = "train-loss-by-time.png";

  private AutoencoderCommand() {}

  /**
   * A run's curve: after each epoch, the steps so far, the loss on the whole training set and the
   * training seconds (validation passes excluded).
   */
  record Curve(double[] steps, double[] loss, double[] seconds) {
    int points() {
      return steps.length;
    }

    double finalLoss() {
      return loss[loss.length - 1];
    }
  }

  /** A finished or failed run: its curve (null if it wrote none), summary and message. */
  record Outcome(CompareOptions.Run run, Curve curve, JsonNode summary, String failure) {}

  public static void run(AutoencoderOptions options, PrintStream out, PrintStream err)
      throws IOException {
    Path data = options.data();
    Path dir = options.output();
    String hidden = options.hidden();
    String activation = options.activation();
    int epochs = options.epochs();
    int batchSize = options.batchSize();
    int threads = options.threads();
    int seed = options.seed();
    String init = options.init();
    List<CompareOptions.Run> runs = options.runs();
    String reference = options.reference();
    if (!Files.isRegularFile(data)) {
      throw new NoSuchFileException(data.toString());
    }

    Files.createDirectories(dir.resolve("runs"));
    List<String> common = List.of("--model", "mlp", "--loss", "squared", "--targets", "inputs",
        "--data", data.toString(), "--validation", data.toString(), "--hidden", hidden,
        "--activation", activation, "--seed", Integer.toString(seed),
        "--threads", Integer.toString(threads));
    String setting = String.format(Locale.ROOT, "autoencoder: hidden %s, %s, %s initialisation"
        + " (unless a run sets its init), linear output,"
        + " squared error (1/2 |x_hat - x|^2 per image, averaged over the images); %d epochs per"
        + " run (unless a run sets its epochs), batches of %d, seed %d (the same mini-batches"
        + " for every run), %d thread%s;"
        + " train loss: on the whole training set after each epoch; reference loss: the lowest"
        + " final train loss of the %s runs.", hidden, activation, init, epochs, batchSize, seed,
        threads, threads == 1 ? "" : "s", reference);
    out.println(setting);
    out.println();
    err.println("autoencoder: the runs first, the table when the reference is known");

    List<Outcome> outcomes = new ArrayList<>();
    for (CompareOptions.Run run : runs) {
      Path runDir = dir.resolve("runs").resolve(run.directoryName());
      if (Files.exists(runDir)) {
        TrainCommand.deleteRecursively(runDir);
      }
      List<String> train = new ArrayList<>(List.of("train", "--optimizer", run.optimizer()));
      train.addAll(common);
      train.addAll(List.of("--batch-size", Integer.toString(batchSize)));
      if (!run.settings().containsKey("init")) {
        train.addAll(List.of("--init", init));
      }
      train.addAll(CompareCommand.optimizerArgs(run, epochs, 0));
      train.addAll(List.of("--output", runDir.toString()));
      err.println("autoencoder: " + run.label());
      CompareCommand.Tail tail = new CompareCommand.Tail(err);
      int status = BenchCommand.runChild(BenchCommand.trainCommand(train), tail);
      Curve curve = null;
      JsonNode summary = null;
      String failure = null;
      try {
        if (Files.isRegularFile(runDir.resolve("trace.csv"))) {
          curve = readCurve(runDir.resolve("trace.csv"));
        }
        if (status != 0) {
          failure = "exit " + status + ": " + tail.last;
        } else {
          summary = new ObjectMapper().readTree(runDir.resolve("summary.json").toFile());
        }
      } catch (IOException | RuntimeException e) {
        failure = "cannot read its results: " + e.getMessage();
      }
      outcomes.add(new Outcome(run, curve, summary, failure));
    }

    double referenceLoss = Double.NaN;
    double referenceSteps = Double.NaN;
    String referenceRun = null;
    for (Outcome o : outcomes) {
      if (o.run().optimizer().equals(reference) && o.failure() == null && o.curve() != null
          && o.curve().points() > 0 && Double.isFinite(o.curve().finalLoss())
          && !(o.curve().finalLoss() >= referenceLoss)) {
        referenceLoss = o.curve().finalLoss();
        referenceSteps = o.curve().steps()[o.curve().points() - 1];
        referenceRun = o.run().label();
      }
    }
    String referenceLine = referenceRun == null
        ? "No " + reference + " run finished: no reference loss."
        : String.format(Locale.ROOT, "Reference loss %.6g: %s after its %d steps.", referenceLoss,
            referenceRun, (long) referenceSteps);
    List<String[]> rows = new ArrayList<>();
    List<String> remarks = new ArrayList<>();
    Map<String, Curve> curves = new LinkedHashMap<>();
    out.println(referenceLine);
    out.println();
    out.println(CompareCommand.tableLine(HEADER));
    out.println("|" + "---|".repeat(HEADER.length));
    for (Outcome o : outcomes) {
      String[] row = row(o, referenceLoss, referenceSteps);
      rows.add(row);
      out.println(CompareCommand.tableLine(row));
      if (o.failure() != null) {
        remarks.add(o.run().label() + ": " + o.failure());
      }
      if (o.curve() != null && o.curve().points() > 0) {
        curves.put(o.failure() == null ? o.run().label() : o.run().label() + " (failed)",
            o.curve());
      }
    }
    List<String> figures = drawFigures(dir.resolve("figures"), curves);
    writeReport(dir.resolve("autoencoder.md"), data, setting, referenceLine, rows, remarks,
        figures);
    out.println();
    for (String remark : remarks) {
      out.println(remark);
    }
    for (String figure : figures) {
      out.println("figure: " + dir.resolve(figure));
    }
    out.println("report: " + dir.resolve("autoencoder.md"));
  }

  /** A run's curve from its trace.csv (columns steps, validationLoss, seconds by name). */
  static Curve readCurve(Path traceCsv) throws IOException {
    TraceCsv t = TraceCsv.read(traceCsv);
    return new Curve(t.column("steps"), t.column("validationLoss"), t.column("seconds"));
  }

  /** The table row of one run against the reference loss and the reference run's steps. */
  static String[] row(Outcome o, double referenceLoss, double referenceSteps) {
    String[] row = new String[HEADER.length];
    Arrays.fill(row, "");
    row[0] = o.run().label();
    Curve c = o.curve();
    if (c == null || c.points() == 0) {
      row[1] = "failed (" + (o.failure() == null ? "no trace rows" : o.failure()) + ")";
      return row;
    }
    int reached = -1;
    int best = 0;
    for (int i = 0; i < c.points(); i++) {
      if (reached < 0 && c.loss()[i] <= referenceLoss) {
        reached = i;
      }
      if (c.loss()[i] < c.loss()[best] || Double.isNaN(c.loss()[best])) {
        best = i;
      }
    }
    row[1] = reached < 0 ? "not reached" : Long.toString((long) c.steps()[reached]);
    row[2] = reached < 0 ? "" : String.format(Locale.ROOT, "%.1f", c.seconds()[reached]);
    row[3] = reached < 0 ? "" : String.format(Locale.ROOT, "%.1f",
        referenceSteps / c.steps()[reached]);
    row[4] = o.failure() != null ? "failed after step " + (long) c.steps()[c.points() - 1]
        : String.format(Locale.ROOT, "%.6g", c.finalLoss());
    row[5] = String.format(Locale.ROOT, "%.6g (%d)", c.loss()[best], (long) c.steps()[best]);
    double lastSeconds = c.seconds()[c.points() - 1];
    row[6] = String.format(Locale.ROOT, "%.3f", lastSeconds / c.steps()[c.points() - 1]);
    row[7] = o.summary() == null ? ""
        : BenchCommand.gigabytes(o.summary().path("peakRssBytes").asLong(-1), false);
    return row;
  }

  private static List<String> drawFigures(Path figures, Map<String, Curve> curves)
      throws IOException {
    List<String> names = new ArrayList<>(curves.keySet());
    List<double[]> steps = curves.values().stream().map(Curve::steps).toList();
    List<double[]> seconds = curves.values().stream().map(Curve::seconds).toList();
    List<double[]> loss = curves.values().stream().map(Curve::loss).toList();
    List<String> written = new ArrayList<>();
    if (Charts.writeSeries(figures.resolve(LOSS_BY_STEP), "train loss (whole training set)",
        "step", "train loss", names, steps, loss, true)) {
      written.add("figures/" + LOSS_BY_STEP);
    }
    if (Charts.writeSeries(figures.resolve(LOSS_BY_TIME), "train loss (whole training set)",
        "seconds", "train loss", names, seconds, loss, true)) {
      written.add("figures/" + LOSS_BY_TIME);
    }
    return written;
  }

  private static void writeReport(Path file, Path data, String setting, String referenceLine,
      List<String[]> rows, List<String> remarks, List<String> figures) throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# Deep autoencoder on ").append(data.getFileName()).append("\n\n");
    md.append(setting).append("\n\n").append(referenceLine).append("\n\n");
    md.append(CompareCommand.tableLine(HEADER)).append('\n').append("|")
        .append("---|".repeat(HEADER.length)).append('\n');
    for (String[] row : rows) {
      md.append(CompareCommand.tableLine(row)).append('\n');
    }
    md.append('\n');
    for (String remark : remarks) {
      md.append(remark).append("\n\n");
    }
    for (String figure : figures) {
      md.append("![").append(figure).append("](").append(figure).append(")\n\n");
    }
    md.append("steps to reference loss: the steps of the first epoch whose train loss is at or"
        + " below the reference loss. reference budget / steps: the reference run's steps divided"
        + " by those. seconds: training time, the whole-set loss passes excluded. seconds per"
        + " step: the run's training seconds / its steps.\n");
    TrainCommand.writeAtomically(file, md.toString().getBytes(StandardCharsets.UTF_8));
  }
}
