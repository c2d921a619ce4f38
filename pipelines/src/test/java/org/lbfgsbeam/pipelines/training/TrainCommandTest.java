package org.lbfgsbeam.pipelines.training;

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
import org.lbfgsbeam.pipelines.Main;

/** {@code train} through its command line, on the in-process path and the DirectRunner. */
public class TrainCommandTest {

  @TempDir
  Path tmp;

  /** What a command printed and returned. */
  public record Run(int status, String out, String err) {}

  public static Run main(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(Arrays.asList(args), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  public static JsonNode summary(Path dir) throws IOException {
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

  /** The names in {@code dir}, sorted: a run's hidden siblings included. */
  static List<String> names(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** A finished run's model files and summary, by name: to compare byte for byte. */
  static java.util.Map<String, String> finishedFiles(Path run) throws IOException {
    java.util.Map<String, String> files = new java.util.TreeMap<>();
    try (var walk = Files.walk(run)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        String name = run.relativize(p).toString();
        if (Files.isRegularFile(p) && (name.startsWith("model") || name.equals("summary.json"))) {
          files.put(name, java.util.HexFormat.of().formatHex(Files.readAllBytes(p)));
        }
      }
    }
    return files;
  }

  /**
   * {@code --overwrite} with bad input leaves the finished run as it was and writes nothing beside
   * it. These inputs are refused before anything is written, so they also held before the run
   * directory was swapped in at the end (the old code deleted --output only after its checks):
   * this guards that order; {@link #killedOverwriteLeavesTheFinishedRun} is the test of a failure
   * after the point where --output used to be deleted.
   */
  @Test
  void overwriteWithBadInputKeepsTheFinishedRun() throws IOException {
    String data = SharedData.file("heart_scale.libsvm").toString();
    Path out = tmp.resolve("out");
    assertEquals(0, main("train", "--data", data, "--lambda", "0.01", "--max-iterations", "3",
        "--output", out.toString()).status());
    java.util.Map<String, String> before = finishedFiles(out);
    assertTrue(before.containsKey("summary.json") && before.size() > 2, before.keySet().toString());

    Path malformed = tmp.resolve("malformed.libsvm");
    Files.writeString(malformed, "1 1:0.5 2:1\n2 3:1 2:0.5\n");
    Path oneClass = tmp.resolve("one-class.libsvm");
    Files.writeString(oneClass, "3 1:0.5 2:1\n3 2:0.25\n");
    for (Path bad : List.of(malformed, oneClass)) {
      Run run = main("train", "--data", bad.toString(), "--output", out.toString(),
          "--overwrite");
      assertEquals(2, run.status(), run.err());
      assertEquals(1, run.err().strip().lines().count(), run.err());
      assertEquals(before, finishedFiles(out), bad + ": the finished run is untouched");
      assertEquals(List.of("malformed.libsvm", "one-class.libsvm", "out"), names(tmp),
          "nothing beside it");
    }

    Run good = main("train", "--data", data, "--lambda", "0.02", "--max-iterations", "3",
        "--output", out.toString(), "--overwrite");
    assertEquals(0, good.status(), good.err());
    assertEquals(0.02, summary(out).get("lambda").asDouble());
    assertFalse(good.err().contains(".partial-"), "messages name --output: " + good.err());
    assertEquals(List.of("malformed.libsvm", "one-class.libsvm", "out"), names(tmp));
  }

  /**
   * A replacing run killed (SIGKILL) half way: the old code had deleted --output before it began
   * to train, so the finished run was lost; now the run is written beside it, and --output is
   * byte for byte what it was. What a killed replacing run leaves is its hidden sibling
   * {@code .out.partial-*} ({@link RunDirectory}); a later --overwrite that finishes replaces the
   * run in --output, and leaves that sibling alone.
   */
  @Test
  void killedOverwriteLeavesTheFinishedRun() throws Exception {
    String data = SharedData.file("heart_scale.libsvm").toString();
    Path out = tmp.resolve("out");
    assertEquals(0, main("train", "--data", data, "--lambda", "0.01", "--max-iterations", "3",
        "--output", out.toString()).status());
    java.util.Map<String, String> before = finishedFiles(out);

    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "train",
        "--data", data, "--lambda", "1e-4", "--partitions", "2", "--max-iterations", "200",
        "--gradient-tolerance", "0", "--progress-tolerance", "0", "--runner", "direct",
        "--output", out.toString(), "--overwrite"));
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("killed.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    boolean training = false;
    while (System.nanoTime() < deadline && process.isAlive() && !training) {
      // Training: a superstep done (in a sibling), or --output gone (as the old code did it).
      try (var s = Files.list(tmp)) {
        training = s.anyMatch(p -> p.getFileName().toString().startsWith(".out.partial-")
            && Files.exists(p.resolve("state/control.json")));
      }
      training |= !Files.exists(out.resolve("summary.json"));
      Thread.sleep(20);
    }
    assertTrue(process.isAlive(), "the run ended before it could be killed: "
        + Files.readString(tmp.resolve("killed.log")));
    process.destroyForcibly();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(before, finishedFiles(out), "the finished run is untouched");
    List<String> left = names(tmp).stream().filter(n -> n.startsWith(".out.")).toList();
    assertEquals(1, left.size(), names(tmp).toString());
    assertTrue(left.get(0).startsWith(".out.partial-"), left.toString());

    Run good = main("train", "--data", data, "--lambda", "0.02", "--max-iterations", "3",
        "--output", out.toString(), "--overwrite");
    assertEquals(0, good.status(), good.err());
    assertEquals(0.02, summary(out).get("lambda").asDouble());
    assertEquals(List.of(left.get(0), "killed.log", "out"), names(tmp));
  }

  /**
   * --resume with other options or data names each field that differs, both values and the option
   * that sets it, in one line. The comparison comes before the check that the run has finished,
   * so a finished run (which keeps its run.json) serves.
   */
  @Test
  void resumeWithOtherOptionsOrDataNamesWhatDiffers() throws IOException {
    Path data = tmp.resolve("train.libsvm");
    List<String> lines = Files.readAllLines(SharedData.file("heart_scale.libsvm"));
    Files.write(data, lines);
    Path out = tmp.resolve("out");
    List<String> common = List.of("train", "--data", data.toString(), "--runner", "direct",
        "--max-iterations", "2", "--output", out.toString());
    List<String> first = new ArrayList<>(common);
    first.addAll(List.of("--lambda", "1e-4"));
    Run run = main(first.toArray(String[]::new));
    assertEquals(0, run.status(), run.err());

    List<String> lambda = new ArrayList<>(common);
    lambda.addAll(List.of("--lambda", "0.001", "--resume"));
    Run refused = main(lambda.toArray(String[]::new));
    assertEquals(2, refused.status(), refused.err());
    assertEquals("lbfgs-beam train: --resume with --lambda 0.001, but the run in " + out
        + " was started with 1.0E-4 (run.json field lambda); resume with the same options or"
        + " start a new run with --overwrite", refused.err().strip());

    long bytes = Files.size(data);
    Files.write(data, lines.subList(0, 200)); // the file changed under the run
    List<String> same = new ArrayList<>(common);
    same.addAll(List.of("--lambda", "1e-4", "--resume"));
    refused = main(same.toArray(String[]::new));
    assertEquals(2, refused.status(), refused.err());
    assertEquals("lbfgs-beam train: --resume with --data of " + Files.size(data)
        + " bytes, but the run in " + out + " was started with " + bytes + " (run.json field"
        + " dataBytes); with data of 200 examples, but it was started with 270 (run.json field"
        + " examples); resume with the same options or start a new run with --overwrite",
        refused.err().strip());

    Files.write(data, lines);
    Run finished = main(same.toArray(String[]::new));
    assertEquals(2, finished.status(), finished.err());
    assertTrue(finished.err().contains("has already finished"), finished.err());
  }

  /** Data of one class: refused in one line naming the file, before anything is written. */
  @Test
  void dataOfOneClassIsRefused() throws IOException {
    Path data = tmp.resolve("train.libsvm");
    Files.writeString(data, "3 1:0.5 2:1\n3 2:0.25\n3 1:1\n");
    Path out = tmp.resolve("out");
    for (String model : List.of("softmax", "logistic", "mlp")) {
      Run run = main("train", "--data", data.toString(), "--model", model, "--output",
          out.toString());
      assertEquals(2, run.status(), run.err());
      String classifier = switch (model) {
        case "logistic" -> "a logistic regression";
        case "mlp" -> "a network";
        default -> "a softmax";
      };
      assertEquals("lbfgs-beam train: bad input: " + data + ": every example has label 3: "
          + classifier + " over one class learns nothing; give data with at least two classes",
          run.err().strip());
      assertFalse(Files.exists(out), "nothing is written");
    }
    // Least squares fits the label as a number: one value is a regression like any other.
    Run regression = main("train", "--data", data.toString(), "--model", "least-squares",
        "--output", out.toString());
    assertEquals(0, regression.status(), regression.err());
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
