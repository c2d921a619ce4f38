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
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * {@code history-study}: the paper's Figures 4&ndash;6 from our own runs. Trains the same set once per
 * history size m (default 3, 5, 10, 20) and draws f &minus; f* against iteration for all of them in
 * one PNG, with a Markdown table of iterations, evaluations, wall time and the optimiser's memory per
 * worker ((2m+2)&middot;n&middot;8/P bytes, the paper's Tables 2&ndash;4) per m.
 */
final class HistoryStudyCommand {
  static final String HELP = String.join("\n",
      "usage: history-study --data FILE --lambda L --reference F --output DIR [options]",
      "",
      "  --data FILE               LIBSVM training file (required)",
      "  --lambda L                L2 regularisation (required)",
      "  --reference F             f*, for f - f* (required)",
      "  --output DIR              runs, the figure and the table go here (required)",
      "  --histories LIST          comma-separated m (default 3,5,10,20)",
      "  --runner NAME             (default local)",
      "  --partitions P            (default 4)",
      "  --threads N               (default 2)",
      "  --max-iterations N        (default 100)",
      "  --gradient-tolerance T    (default 1e-8)",
      "  --help                    this text");

  private static final Set<String> VALUED = Set.of("data", "lambda", "reference", "output",
      "histories", "runner", "partitions", "threads", "max-iterations", "gradient-tolerance");

  private HistoryStudyCommand() {}

  static void run(List<String> args, PrintStream out, PrintStream err) throws IOException {
    CommandLine cl = CommandLine.parse(args, VALUED, Set.of("help"));
    String data = cl.required("data");
    double lambda = cl.number("lambda", Double.NaN);
    double reference = cl.number("reference", Double.NaN);
    Path dir = Paths.get(cl.required("output"));
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
    for (String m : cl.string("histories", "3,5,10,20").split(",")) {
      Path run = dir.resolve("m" + m);
      List<String> train = List.of("train", "--data", data, "--lambda", Double.toString(lambda),
          "--history", m, "--runner", cl.string("runner", "local"),
          "--partitions", cl.string("partitions", "4"), "--threads", cl.string("threads", "2"),
          "--max-iterations", cl.string("max-iterations", "100"),
          "--gradient-tolerance", cl.string("gradient-tolerance", "1e-8"),
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

  static boolean wantsHelp(List<String> args) {
    return args.contains("--help");
  }
}
