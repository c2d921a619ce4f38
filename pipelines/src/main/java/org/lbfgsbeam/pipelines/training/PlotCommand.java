package org.lbfgsbeam.pipelines.training;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.lbfgsbeam.pipelines.cli.PlotOptions;

/** {@code plot}: PNG charts of a run's trace.csv ({@link Charts}); train draws them too. */
public final class PlotCommand {
  private PlotCommand() {}

  /** Draws the charts; prints the files written on {@code out}. */
  public static List<Path> run(PlotOptions o, PrintStream out) throws Exception {
    Path run = o.run();
    Path output = o.output() != null ? o.output() : run.resolve("charts");
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
