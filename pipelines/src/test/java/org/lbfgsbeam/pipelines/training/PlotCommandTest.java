package org.lbfgsbeam.pipelines.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.testing.SharedData;

/** {@code plot} and the charts {@code train} draws. */
class PlotCommandTest {
  @TempDir
  Path tmp;

  static final String TRACE = String.join("\n", TraceRow.HEADER,
      "0,1,2.0,0.5,0,0.010",
      "1,2,1.0,0.1,1.0,0.020",
      "2,3,0.5,0.01,1.0,0.030",
      "3,5,0.25,0.001,0.5,0.045", "");

  static final String TRACE_WITH_VALIDATION = String.join("\n", TraceRow.HEADER_WITH_VALIDATION,
      "0,1,2.0,0.5,0,0.010,0.1",
      "1,2,1.0,0.1,1.0,0.020,0.5",
      "2,3,0.5,0.01,1.0,0.030,",
      "3,5,0.25,0.001,0.5,0.045,0.75", "");

  static void assertPng(Path file) throws IOException {
    BufferedImage image = ImageIO.read(file.toFile());
    assertNotNull(image, file + " is not an image");
    assertEquals(800, image.getWidth());
    assertEquals(500, image.getHeight());
    // Drawn, not blank: more than a handful of distinct colours.
    java.util.Set<Integer> colours = new java.util.HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 5) {
      for (int x = 0; x < image.getWidth(); x += 5) {
        colours.add(image.getRGB(x, y));
      }
    }
    assertTrue(colours.size() > 5, file + " has " + colours.size() + " colours");
  }

  static List<String> names(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void drawsThreeChartsWithoutValidationAndFourWithIt() throws IOException {
    Path plain = Files.createDirectories(tmp.resolve("plain"));
    Files.writeString(plain.resolve("trace.csv"), TRACE);
    TrainCommandTest.Run r = TrainCommandTest.main("plot", "--run", plain.toString());
    assertEquals(0, r.status(), r.err());
    assertEquals(List.of(Charts.GAP_BY_ITERATION, Charts.GAP_BY_TIME, Charts.GRADIENT_NORM)
        .stream().sorted().toList(), names(plain.resolve("charts")));
    assertEquals(3, r.out().lines().count(), r.out());
    for (String name : names(plain.resolve("charts"))) {
      assertPng(plain.resolve("charts").resolve(name));
    }

    Path validated = Files.createDirectories(tmp.resolve("validated"));
    Files.writeString(validated.resolve("trace.csv"), TRACE_WITH_VALIDATION);
    Path elsewhere = tmp.resolve("elsewhere");
    TrainCommandTest.Run v = TrainCommandTest.main("plot", "--run", validated.toString(),
        "--output", elsewhere.toString());
    assertEquals(0, v.status(), v.err());
    assertTrue(names(elsewhere).contains(Charts.VALIDATION_ACCURACY), names(elsewhere).toString());
    assertEquals(4, names(elsewhere).size());
    assertPng(elsewhere.resolve(Charts.VALIDATION_ACCURACY));
  }

  @Test
  void readsTheColumnsByName() throws IOException {
    Path file = tmp.resolve("trace.csv");
    Files.writeString(file, TRACE_WITH_VALIDATION);
    Charts.Trace t = Charts.read(file);
    assertEquals(4, t.iteration().length);
    assertEquals(0.25, t.objective()[3]);
    assertEquals(0.001, t.gradientNorm()[3]);
    assertEquals(0.045, t.seconds()[3]);
    assertTrue(Double.isNaN(t.validation()[2]), "an empty cell is no value");
    assertEquals(0.75, t.validation()[3]);
    Files.writeString(file, TRACE);
    assertEquals(null, Charts.read(file).validation());
  }

  @Test
  void aOneRowTraceHasNoGapToDraw() throws IOException {
    Path run = Files.createDirectories(tmp.resolve("run"));
    Files.writeString(run.resolve("trace.csv"), TraceRow.HEADER + "\n0,1,0.69,0.5,0,0.010\n");
    TrainCommandTest.Run r = TrainCommandTest.main("plot", "--run", run.toString());
    assertEquals(0, r.status(), r.err());
    assertEquals(List.of(Charts.GRADIENT_NORM), names(run.resolve("charts")));
  }

  @Test
  void aBrokenTraceIsOneLineNamingFileAndLine() throws IOException {
    Path run = Files.createDirectories(tmp.resolve("run"));
    Files.writeString(run.resolve("trace.csv"), TraceRow.HEADER + "\n0,1,0.69,0.5,0,0.010\n"
        + "1,2,abc,0.5,1,0.020\n");
    TrainCommandTest.Run r = TrainCommandTest.main("plot", "--run", run.toString());
    assertEquals(2, r.status());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains(run.resolve("trace.csv") + ":3: not a number: 'abc'"), r.err());
    assertFalse(Files.exists(run.resolve("charts")), "nothing drawn");

    Files.writeString(run.resolve("trace.csv"), "a,b\n1,2\n");
    TrainCommandTest.Run header = TrainCommandTest.main("plot", "--run", run.toString());
    assertEquals(2, header.status());
    assertTrue(header.err().contains("no column 'iteration'"), header.err());

    TrainCommandTest.Run missing = TrainCommandTest.main("plot", "--run",
        tmp.resolve("none").toString());
    assertEquals(2, missing.status());
    assertTrue(missing.err().contains("no such file"), missing.err());
  }

  @Test
  void trainDrawsTheChartsAtItsEnd() throws IOException {
    Path out = tmp.resolve("run");
    TrainCommandTest.Run r = TrainCommandTest.main("train", "--data",
        SharedData.file("heart_scale.libsvm").toString(), "--max-iterations", "8", "--output",
        out.toString());
    assertEquals(0, r.status(), r.err());
    assertTrue(r.err().contains("charts: 3 PNG files in " + out.resolve("charts")), r.err());
    for (String name : List.of(Charts.GAP_BY_ITERATION, Charts.GAP_BY_TIME, Charts.GRADIENT_NORM)) {
      assertPng(out.resolve("charts").resolve(name));
    }
  }

  @Test
  void helpAndUsage() {
    TrainCommandTest.Run help = TrainCommandTest.main("plot", "--help");
    assertEquals(0, help.status());
    assertTrue(help.out().contains("--output DIR    where the PNG files go (default: DIR/charts)"),
        help.out());
    TrainCommandTest.Run r = TrainCommandTest.main("plot");
    assertEquals(2, r.status());
    assertTrue(r.err().contains("--run is required"), r.err());
    TrainCommandTest.Run u = TrainCommandTest.main("plot", "--run", "x", "--width", "3");
    assertEquals(2, u.status());
    assertTrue(u.err().contains("unknown option --width"), u.err());
  }
}
