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
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.lbfgsbeam.pipelines.Main;
import org.lbfgsbeam.pipelines.cli.HistoryStudyOptions;
import org.lbfgsbeam.pipelines.training.TrainCommand;

/**
 * {@code history-study}: the paper's Figures 4&ndash;6 from our own runs. Trains the same set once per
 * history size m (default 3, 5, 10, 20) and draws f &minus; f* against iteration for all of them in
 * one PNG, with a Markdown table of iterations, evaluations, wall time and the optimiser's memory per
 * worker ((2m+2)&middot;n&middot;8/P bytes, the paper's Tables 2&ndash;4) per m.
 */
public final class HistoryStudyCommand {
  private HistoryStudyCommand() {}

  public static void run(HistoryStudyOptions o, PrintStream out, PrintStream err)
      throws IOException {
    String data = o.data();
    double lambda = o.lambda();
    double reference = o.reference();
    Path dir = o.output();
    Files.createDirectories(dir);
    XYChart chart = new XYChartBuilder().width(900).height(560)
        .title("f - f* by iteration, " + Paths.get(data).getFileName() + ", lambda " + lambda)
        .xAxisTitle("iteration").yAxisTitle("f - f*").build();
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setMarkerSize(4);
    List<String> table = new ArrayList<>();
    table.add("| m | iterations | evaluations | data passes | seconds | stop reason | final f - f* |"
        + " optimiser bytes per worker |");
    table.add("|---|---|---|---|---|---|---|---|");
    for (String m : o.histories().split(",")) {
      Path run = dir.resolve("m" + m);
      List<String> train = List.of("train", "--data", data, "--lambda", Double.toString(lambda),
          "--history", m, "--runner", o.runner(),
          "--partitions", o.partitions(), "--threads", o.threads(),
          "--max-iterations", o.maxIterations(),
          "--gradient-tolerance", o.gradientTolerance(),
          "--progress-tolerance", "0", "--output", run.toString(), "--overwrite");
      err.println("history-study: m = " + m);
      int status = Main.run(train, new PrintStream(new ByteArrayOutputStream(), true,
          StandardCharsets.UTF_8), err);
      if (status != 0) {
        throw new IOException("training with m = " + m + " failed (exit " + status + ")");
      }
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      List<String> lines = Files.readAllLines(run.resolve("trace.csv"));
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.split(",");
        double gap = Double.parseDouble(f[2]) - reference;
        if (gap > 0) {
          xs.add(Double.parseDouble(f[0]));
          ys.add(gap);
        }
      }
      if (!xs.isEmpty()) {
        chart.addSeries("m = " + m, xs, ys);
      }
      JsonNode s = new ObjectMapper().readTree(run.resolve("summary.json").toFile());
      table.add(String.format(Locale.ROOT, "| %s | %d | %d | %d | %.2f | %s | %.3e | %d |", m,
          s.get("iterations").asInt(), s.get("evaluations").asInt(), s.get("dataPasses").asInt(),
          s.get("seconds").asDouble(),
          s.get("stopReason").asText(), s.get("objective").asDouble() - reference,
          s.get("optimizerBytesPerWorker").asLong()));
    }
    Path figure = dir.resolve("objective-gap-by-history.png");
    TrainCommand.writeAtomically(figure, BitmapEncoder.getBitmapBytes(chart,
        BitmapEncoder.BitmapFormat.PNG));
    String markdown = String.join("\n", table) + "\n";
    TrainCommand.writeAtomically(dir.resolve("history-study.md"),
        markdown.getBytes(StandardCharsets.UTF_8));
    out.print(markdown);
    err.println("history-study: " + figure);
  }
}
