package org.lbfgsbeam.pipelines;

import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;

/** {@code plot}: PNG charts of a run's trace.csv ({@link Charts}); train draws them too. */
final class PlotCommand {
  static final String HELP = String.join("\n",
      "usage: plot --run DIR [--output DIR]",
      "",
      "Draws PNG charts of a training run's trace.csv: f - f* (log scale) against the iteration and",
      "against the time, the gradient norm max|g| (log scale) against the iteration, and the",
      "validation accuracy against the iteration when the run had --validation. train draws the",
      "same charts at its end.",
      "",
      "  --run DIR       run directory written by train, holding trace.csv (required)",
      "  --output DIR    where the PNG files go (default: DIR/charts)",
      "  --help          this text");

  private static final Set<String> VALUED = Set.of("run", "output");
  private static final Set<String> FLAGS = Set.of("help");

  private PlotCommand() {}

  static boolean wantsHelp(List<String> args) {
    return args.contains("--help") || args.contains("-h");
  }

  /** Draws the charts; prints the files written on {@code out}. */
  static List<Path> run(List<String> args, PrintStream out) throws Exception {
    CommandLine cl = CommandLine.parse(args, VALUED, FLAGS);
    Path run = Paths.get(cl.required("run"));
    Path output = cl.has("output") ? Paths.get(cl.required("output")) : run.resolve("charts");
    Path summary = run.resolve("summary.json");
    boolean convex = !java.nio.file.Files.isRegularFile(summary)
        || !org.lbfgsbeam.transforms.NetworkModelFiles.MODEL.equals(new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(summary.toFile()).path("model").asText());
    List<Path> written = Charts.write(run.resolve("trace.csv"), output, convex);
    for (Path p : written) {
      out.println(p);
    }
    return written;
  }
}
