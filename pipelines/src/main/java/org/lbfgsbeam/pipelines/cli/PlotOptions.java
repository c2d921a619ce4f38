package org.lbfgsbeam.pipelines.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;

/**
 * The options of {@code plot}; the run is {@code org.lbfgsbeam.pipelines.training.PlotCommand}.
 *
 * @param run the run directory written by train
 * @param output where the PNG files go, or null for {@code run/charts}
 */
public record PlotOptions(Path run, Path output) {
  public static final String HELP = String.join("\n",
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

  /** Parses; throws {@link CommandLine.UsageException} with a one-line message. */
  public static PlotOptions parse(List<String> args) {
    CommandLine cl = CommandLine.parse(args, VALUED, FLAGS);
    return new PlotOptions(Paths.get(cl.required("run")),
        cl.has("output") ? Paths.get(cl.required("output")) : null);
  }

  public static boolean wantsHelp(List<String> args) {
    return args.contains("--help") || args.contains("-h");
  }
}
