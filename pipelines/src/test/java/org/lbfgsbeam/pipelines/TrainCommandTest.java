package org.lbfgsbeam.pipelines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lbfgsbeam.core.testing.SharedData;

/** {@code train} through its command line, on the in-process path and the DirectRunner. */
class TrainCommandTest {

  @TempDir
  Path tmp;

  /** What a command printed and returned. */
  record Run(int status, String out, String err) {}

  static Run main(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(Arrays.asList(args), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static JsonNode summary(Path dir) throws IOException {
    return new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
  }

  /** REFERENCE.md's optima, reached through the CLI on the DirectRunner to 1e-9 relative. */
  @ParameterizedTest(name = "{0} lambda={1} P={2}")
  @CsvSource({
      "heart_scale.libsvm, 0.01, 2, 0.367251896703052",
      "synth-small.libsvm, 0.01, 4, 2.55861265457659"})
  void directRunnerReachesReferenceOptimum(String file, double lambda, int partitions,
      double reference) throws IOException {
    Path out = tmp.resolve("run");
    Run run = main("train", "--data", SharedData.file(file).toString(), "--lambda",
        Double.toString(lambda), "--runner", "direct", "--partitions", Integer.toString(partitions),
        "--gradient-tolerance", "1e-8", "--progress-tolerance", "0", "--output", out.toString());
    assertEquals(0, run.status(), run.err());
    JsonNode s = summary(out);
    double f = s.get("objective").asDouble();
    assertTrue(Math.abs(f - reference) <= 1e-9 * reference,
        "f = " + f + " vs SciPy " + reference + " (" + s.get("stopReason") + ")");
    assertEquals("direct", s.get("runner").asText());
    assertEquals(partitions, s.get("partitions").asInt());
    List<String> trace = Files.readAllLines(out.resolve("trace.csv"));
    assertEquals(TraceRow.HEADER, trace.get(0));
    assertEquals(s.get("iterations").asInt() + 2, trace.size(), "a row per iteration and the start");
    long progressLines = run.err().lines().filter(l -> l.startsWith("iter ")).count();
    assertEquals(s.get("iterations").asInt(), progressLines, "one progress line per iteration");
    assertTrue(Files.isRegularFile(out.resolve("model/model.json")));
    try (var files = Files.list(out.resolve("state"))) {
      assertEquals(2, files.count(), "only run.json and control.json are kept after the run");
    }
  }

  /** Same input and options: the same bits from the in-process path and the DirectRunner. */
  @ParameterizedTest(name = "P={0}")
  @CsvSource({"1", "2", "7"})
  void localAndDirectWriteIdenticalModels(int partitions) throws IOException {
    Path local = tmp.resolve("local");
    Path direct = tmp.resolve("direct");
    for (String runner : List.of("local", "direct")) {
      Run run = main("train", "--data", SharedData.file("synth-small.libsvm").toString(),
          "--lambda", "1e-4", "--runner", runner, "--partitions", Integer.toString(partitions),
          "--max-iterations", "4", "--output", (runner.equals("local") ? local : direct).toString());
      assertEquals(0, run.status(), run.err());
    }
    assertEquals(summary(local).get("objective").asText(), summary(direct).get("objective").asText());
    for (int b = 0; b < partitions; b++) {
      String w = String.format("model/weights-%05d.bin", b);
      assertArrayEquals(Files.readAllBytes(local.resolve(w)), Files.readAllBytes(direct.resolve(w)), w);
    }
  }

  /**
   * A run killed (SIGKILL) in the middle resumes from its last finished superstep and ends with the
   * same bits as an uninterrupted run.
   */
  @Test
  void killedRunResumesBitIdentical() throws Exception {
    String data = SharedData.file("heart_scale.libsvm").toString();
    List<String> common = List.of("--data", data, "--lambda", "1e-4", "--partitions", "2",
        "--max-iterations", "14");
    Path reference = tmp.resolve("reference");
    List<String> args = new ArrayList<>(List.of("train"));
    args.addAll(common);
    args.addAll(List.of("--runner", "local", "--output", reference.toString()));
    assertEquals(0, main(args.toArray(String[]::new)).status());

    Path killed = tmp.resolve("killed");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "train"));
    command.addAll(common);
    command.addAll(List.of("--runner", "direct", "--output", killed.toString()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("killed.log").toFile()).start();
    Path control = killed.resolve("state/control.json");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    int iteration = -1;
    while (System.nanoTime() < deadline && process.isAlive()) {
      if (Files.exists(control)) {
        try {
          iteration = new ObjectMapper().readTree(control.toFile()).get("state").get("iteration")
              .asInt();
        } catch (IOException partialRead) {
          iteration = -1;
        }
        if (iteration >= 5) {
          break;
        }
      }
      Thread.sleep(50);
    }
    assertTrue(process.isAlive(), "the run ended before it could be killed: "
        + Files.readString(tmp.resolve("killed.log")));
    process.destroyForcibly();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertFalse(Files.exists(killed.resolve("summary.json")), "a killed run has no summary");

    List<String> resume = new ArrayList<>(List.of("train"));
    resume.addAll(common);
    resume.addAll(List.of("--runner", "direct", "--output", killed.toString(), "--resume"));
    Run resumed = main(resume.toArray(String[]::new));
    assertEquals(0, resumed.status(), resumed.err());
    assertTrue(resumed.err().contains("resuming"), resumed.err());
    assertEquals(summary(reference).get("objective").asText(),
        summary(killed).get("objective").asText());
    assertEquals(summary(reference).get("evaluations").asInt(),
        summary(killed).get("evaluations").asInt());
    for (int b = 0; b < 2; b++) {
      String w = String.format("model/weights-%05d.bin", b);
      assertArrayEquals(Files.readAllBytes(reference.resolve(w)), Files.readAllBytes(killed.resolve(w)));
    }
  }

  @Test
  void badInputNamesFileAndLineAndWritesNothing() throws IOException {
    Path data = tmp.resolve("bad.libsvm");
    Files.writeString(data, "1 1:0.5 2:1\n2 3:1 2:0.5\n");
    Path out = tmp.resolve("out");
    Run run = main("train", "--data", data.toString(), "--output", out.toString());
    assertEquals(2, run.status());
    assertTrue(run.err().contains(data + ":2:"), run.err());
    assertTrue(run.err().contains("ascending"), run.err());
    assertEquals(1, run.err().strip().lines().count(), "one line: " + run.err());
    assertFalse(Files.exists(out), "nothing is written");
  }

  @Test
  void refusesNonEmptyOutputUnlessOverwrite() throws IOException {
    Path out = tmp.resolve("out");
    Files.createDirectories(out);
    Files.writeString(out.resolve("keep.txt"), "x");
    String data = SharedData.file("heart_scale.libsvm").toString();
    Run refused = main("train", "--data", data, "--output", out.toString());
    assertEquals(2, refused.status());
    assertTrue(refused.err().contains("not empty"), refused.err());
    assertTrue(Files.exists(out.resolve("keep.txt")));
    Run replaced = main("train", "--data", data, "--output", out.toString(), "--overwrite",
        "--lambda", "0.01");
    assertEquals(0, replaced.status(), replaced.err());
    assertFalse(Files.exists(out.resolve("keep.txt")));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "--bogus 1 | unknown option --bogus",
      "--lambda -1 | --lambda must be >= 0",
      "--history 0 | history must be in [1, 1000], but was: 0",
      "--runner spark | --runner must be one of local, direct, beam-flink, flink, but was: spark",
      "--partitions 3 | partitions must be in [1, 2]",
      "--max-iterations x | --max-iterations must be an integer, but was: x"})
  void invalidOptionsGetOneLineErrors(String option, String message) throws IOException {
    List<String> args = new ArrayList<>(List.of("train", "--data",
        SharedData.file("heart_scale.libsvm").toString(), "--output", tmp.resolve("o").toString()));
    args.addAll(Arrays.asList(option.split(" ")));
    Run run = main(args.toArray(String[]::new));
    assertEquals(2, run.status());
    assertTrue(run.err().contains(message), run.err());
    assertEquals(1, run.err().strip().lines().count(), run.err());
    assertFalse(Files.exists(tmp.resolve("o")));
  }

  @Test
  void helpListsDefaults() {
    Run run = main("train", "--help");
    assertEquals(0, run.status());
    assertTrue(run.out().contains("--gradient-tolerance T      stop when max|g| <= T (default 1e-5)"));
  }
}
