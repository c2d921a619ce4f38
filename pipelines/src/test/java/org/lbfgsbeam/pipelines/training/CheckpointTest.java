package org.lbfgsbeam.pipelines.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.Main;
import org.lbfgsbeam.transforms.BeamSuperstepExecutor;

/**
 * {@code --checkpoint-every} and {@code --resume} on the runners that hold their vectors in memory
 * (local, flink): a run stopped after a checkpoint (SIGKILL of a child JVM; an injected failure of
 * the Flink job) resumes from its last complete checkpoint, also past a torn later one and on
 * another runner, and ends with the bits of a run that was never stopped and wrote no checkpoints.
 */
class CheckpointTest {

  @TempDir
  Path tmp;

  private static List<String> train(List<String> common, String runner, Path out,
      String... more) {
    List<String> args = new ArrayList<>(List.of("train"));
    args.addAll(common);
    args.addAll(List.of("--runner", runner, "--output", out.toString()));
    args.addAll(List.of(more));
    return args;
  }

  private static TrainCommandTest.Run main(List<String> args) {
    return TrainCommandTest.main(args.toArray(String[]::new));
  }

  /** The same objective bits, evaluations and model bytes as {@code reference}. */
  private static void assertSameRun(Path reference, Path run, int partitions) throws IOException {
    JsonNode a = TrainCommandTest.summary(reference);
    JsonNode b = TrainCommandTest.summary(run);
    assertEquals(a.get("objective").asText(), b.get("objective").asText(), run.toString());
    assertEquals(a.get("evaluations").asInt(), b.get("evaluations").asInt(), run.toString());
    assertEquals(a.get("iterations").asInt(), b.get("iterations").asInt(), run.toString());
    for (int p = 0; p < partitions; p++) {
      String w = String.format("model/weights-%05d.bin", p);
      assertArrayEquals(Files.readAllBytes(reference.resolve(w)), Files.readAllBytes(run.resolve(w)),
          run + ": " + w);
    }
    assertEquals(Files.readAllLines(reference.resolve("trace.csv")).size(),
        Files.readAllLines(run.resolve("trace.csv")).size(), run + ": a trace row per iteration");
  }

  private static LbfgsState controlState(Path run) throws IOException {
    JsonNode control = StateJson.mapper().readTree(run.resolve("state/control.json").toFile());
    return StateJson.mapper().treeToValue(control.get("state"), LbfgsState.class);
  }

  /** The vector directories in a run's state directory. */
  private static TreeSet<String> vectors(Path run) throws IOException {
    try (Stream<Path> files = Files.list(run.resolve("state"))) {
      return files.map(p -> p.getFileName().toString())
          .filter(n -> n.matches("(zx|zd|[xgdsy])-\\d+"))
          .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
    }
  }

  /**
   * Adds what a process killed in the middle of a later checkpoint leaves: a control file half
   * written under its temporary name, a vector with only a temporary block, one with only one of
   * its blocks.
   */
  private static void tear(Path run) throws IOException {
    Path state = run.resolve("state");
    Files.writeString(state.resolve("control.json.tmp"), "{\"state\" : {\"iteration\" : 9");
    Files.createDirectories(state.resolve("x-99999"));
    Files.write(state.resolve("x-99999/.block-00000.bin.tmp-0"), new byte[] {1, 2, 3});
    Files.createDirectories(state.resolve("s-99999"));
    Files.write(state.resolve("s-99999/block-00000.bin"), new byte[] {4, 5, 6});
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  /**
   * local: a child JVM checkpointing every 2 iterations, killed (SIGKILL) once a checkpoint exists,
   * resumes in process to the bits of an uninterrupted run without checkpoints; so does a copy of
   * it with a torn later checkpoint beside the complete one. Every checkpoint seen is at an even
   * iteration and holds every vector its state refers to.
   */
  @Test
  void killedLocalRunResumesBitIdentical() throws Exception {
    List<String> common = List.of("--data", SharedData.file("synth-small.libsvm").toString(),
        "--lambda", "1e-6", "--partitions", "2", "--max-iterations", "30",
        "--gradient-tolerance", "0", "--progress-tolerance", "0", "--threads", "1");
    Path reference = tmp.resolve("reference");
    TrainCommandTest.Run run = main(train(common, "local", reference, "--checkpoint-every", "0",
        "--checkpoint-minutes", "0"));
    assertEquals(0, run.status(), run.err());
    assertEquals(List.of("run.json"), TrainCommandTest.names(reference.resolve("state")),
        "no checkpoint with --checkpoint-every 0");

    Path killed = tmp.resolve("killed");
    TreeSet<Integer> seen = killAfterCheckpoint(train(common, "local", killed,
        "--checkpoint-every", "2"), killed, "-Xmx256m");

    LbfgsState at = controlState(killed);
    seen.add(at.iteration());
    for (int iteration : seen) {
      assertEquals(0, iteration % 2, "checkpoints every 2 iterations: " + seen);
    }
    assertTrue(at.iteration() >= 4 && at.iteration() < 30, "checkpoint at " + at.iteration());
    for (String vector : BeamSuperstepExecutor.liveVectors(at)) {
      if (vector.startsWith("x-") || vector.startsWith("s-") || vector.startsWith("y-")) {
        assertTrue(Checkpoint.complete(killed.resolve("state"), vector, 2), vector);
      }
    }
    Path torn = tmp.resolve("torn");
    copy(killed, torn);
    tear(torn);

    for (Path resumed : List.of(killed, torn)) {
      TrainCommandTest.Run r = main(train(common, "local", resumed, "--checkpoint-every", "2",
          "--resume"));
      assertEquals(0, r.status(), r.err());
      assertTrue(r.err().contains("resuming " + resumed + " at superstep"), r.err());
      assertSameRun(reference, resumed, 2);
      assertEquals(1, TrainCommandTest.summary(resumed).get("resumes").asInt());
      assertEquals(List.of("control.json", "run.json"),
          TrainCommandTest.names(resumed.resolve("state")), "the finished run keeps its record");
    }
  }

  /**
   * Runs {@code train arguments} in a child JVM (with this JVM's {@code --add-opens}, which Flink
   * needs), kills it (SIGKILL) once a checkpoint at iteration 4 or later is complete in {@code run},
   * and returns the checkpoint iterations it saw; a killed run has no summary.
   */
  private TreeSet<Integer> killAfterCheckpoint(List<String> arguments, Path run, String heap)
      throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), heap));
    for (String option : java.lang.management.ManagementFactory.getRuntimeMXBean()
        .getInputArguments()) {
      if (option.startsWith("--add-opens")) {
        command.add(option);
      }
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(arguments);
    Path log = tmp.resolve(run.getFileName() + ".log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    Path control = run.resolve("state/control.json");
    TreeSet<Integer> seen = new TreeSet<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < deadline && process.isAlive()
        && (seen.isEmpty() || seen.last() < 4)) {
      if (Files.exists(control)) {
        try {
          seen.add(controlState(run).iteration());
        } catch (IOException renamedWhileRead) {
          // the next poll reads the next one
        }
      }
      Thread.sleep(20);
    }
    assertTrue(process.isAlive(), "the run ended before it could be killed: "
        + Files.readString(log));
    process.destroyForcibly();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertFalse(Files.exists(run.resolve("summary.json")), "a killed run has no summary");
    return seen;
  }

  /**
   * flink (embedded): the client JVM, which runs the job's mini-cluster, killed (SIGKILL) once a
   * checkpoint at iteration 4 or later exists; --resume on flink ends with the bits of an
   * uninterrupted local run without checkpoints (flink and local give the same bits).
   */
  @Test
  void killedFlinkRunResumesBitIdentical() throws Exception {
    List<String> common = List.of("--data", SharedData.file("synth-small.libsvm").toString(),
        "--lambda", "1e-6", "--partitions", "2", "--max-iterations", "30",
        "--gradient-tolerance", "0", "--progress-tolerance", "0", "--threads", "2");
    Path reference = tmp.resolve("reference");
    TrainCommandTest.Run run = main(train(common, "local", reference, "--checkpoint-every", "0",
        "--checkpoint-minutes", "0"));
    assertEquals(0, run.status(), run.err());

    Path killed = tmp.resolve("killed-flink");
    killAfterCheckpoint(train(common, "flink", killed, "--checkpoint-every", "2"), killed,
        "-Xmx1g");
    LbfgsState at = controlState(killed);
    assertTrue(at.iteration() >= 4 && at.iteration() < 30 && at.iteration() % 2 == 0,
        "checkpoint at " + at.iteration());

    TrainCommandTest.Run r = main(train(common, "flink", killed, "--checkpoint-every", "2",
        "--resume"));
    assertEquals(0, r.status(), r.err());
    assertTrue(r.err().contains("resuming " + killed + " at superstep"), r.err());
    assertSameRun(reference, killed, 2);
    assertEquals(1, TrainCommandTest.summary(killed).get("resumes").asInt());
  }

  /**
   * flink: a job stopped by a failure after iteration 5 (embedded mini-cluster, no restarts) has
   * its last complete checkpoint at iteration 4; --resume on flink ends with the bits of an
   * uninterrupted flink run without checkpoints, and so does a copy of it resumed on the local
   * runner: the layout is the file-based runners', whoever wrote it.
   */
  @Test
  void flinkRunStoppedByAFailureResumesBitIdentical() throws Exception {
    List<String> common = List.of("--data", SharedData.file("heart_scale.libsvm").toString(),
        "--lambda", "1e-4", "--partitions", "2", "--max-iterations", "12", "--direction",
        "two-loop", "--threads", "2");
    Path reference = tmp.resolve("reference");
    TrainCommandTest.Run run = main(train(common, "flink", reference, "--checkpoint-every", "0",
        "--checkpoint-minutes", "0"));
    assertEquals(0, run.status(), run.err());
    assertEquals(0, TrainCommandTest.summary(reference).get("restarts").asInt());
    assertEquals(0, TrainCommandTest.summary(reference).get("resumes").asInt());

    Path stopped = tmp.resolve("stopped");
    System.setProperty("lbfgs.test.flinkFailAfterIteration", "5");
    try {
      TrainCommandTest.Run failed = main(train(common, "flink", stopped, "--checkpoint-every",
          "2"));
      assertNotEquals(0, failed.status(), failed.err());
      assertTrue(failed.err().contains("injected failure after iteration 5"), failed.err());
    } finally {
      System.clearProperty("lbfgs.test.flinkFailAfterIteration");
    }
    assertEquals(4, controlState(stopped).iteration(), "the last complete checkpoint");
    assertTrue(vectors(stopped).contains("x-" + controlState(stopped).xId()),
        vectors(stopped).toString());
    Path onLocal = tmp.resolve("on-local");
    copy(stopped, onLocal);

    TrainCommandTest.Run resumed = main(train(common, "flink", stopped, "--checkpoint-every", "2",
        "--resume"));
    assertEquals(0, resumed.status(), resumed.err());
    assertSameRun(reference, stopped, 2);
    JsonNode summary = TrainCommandTest.summary(stopped);
    assertEquals(1, summary.get("resumes").asInt());
    assertEquals(0, summary.get("restarts").asInt());

    TrainCommandTest.Run local = main(train(common, "local", onLocal, "--resume"));
    assertEquals(0, local.status(), local.err());
    assertSameRun(reference, onLocal, 2);
  }

  /**
   * A checkpoint after every iteration changes no bit of a local run; a finished run keeps its
   * control file, which --resume reads to say that it has finished.
   */
  @Test
  void checkpointsDoNotChangeTheBits() throws IOException {
    List<String> common = List.of("--data", SharedData.file("heart_scale.libsvm").toString(),
        "--lambda", "1e-4", "--partitions", "2", "--max-iterations", "10", "--threads", "2");
    Path without = tmp.resolve("without");
    Path with = tmp.resolve("with");
    assertEquals(0, main(train(common, "local", without, "--checkpoint-every", "0",
        "--checkpoint-minutes", "0")).status());
    assertEquals(0, main(train(common, "local", with, "--checkpoint-every", "1")).status());
    assertSameRun(without, with, 2);
    assertTrue(controlState(with).finished());
    TrainCommandTest.Run again = main(train(common, "local", with, "--resume"));
    assertEquals(2, again.status(), again.err());
    assertTrue(again.err().contains("has already finished"), again.err());
    TrainCommandTest.Run nothing = main(train(common, "local", without, "--resume"));
    assertEquals(2, nothing.status(), nothing.err());
    assertTrue(nothing.err().contains("nothing to resume"), nothing.err());
  }

  /**
   * Due once, at the first state of every K-th iteration (not at the later states of its line
   * search), never with K = 0.
   */
  @Test
  void dueAtEveryKthIteration() throws Exception {
    var coordinator = new org.lbfgsbeam.core.optim.LbfgsCoordinator(
        org.lbfgsbeam.core.optim.LbfgsOptions.defaults().withMaxIterations(9)
            .withGradientTolerance(0).withProgressTolerance(0));
    var objective = new org.lbfgsbeam.core.objective.SoftmaxObjective(
        SharedData.dataset("heart_scale.libsvm"), 1e-4, 2);
    List<Integer> due3 = new ArrayList<>();
    List<Integer> due0 = new ArrayList<>();
    int timeBoundaries = 0;
    try (var executor = org.lbfgsbeam.core.exec.LocalExecutor.fromObjectiveStart(objective, 1)) {
      LbfgsState state = coordinator.start();
      while (!state.finished()) {
        LbfgsState next = coordinator.advance(state, executor.execute(state.pending()));
        executor.retain(next);
        if (Checkpoint.due(3, state, next)) {
          due3.add(next.iteration());
        }
        if (Checkpoint.due(0, state, next)) {
          due0.add(next.iteration());
        }
        // By time: at every iteration boundary once the interval has passed, never before it, and
        // never at a state inside an iteration (a line-search trial) or at the end.
        boolean boundary = next.iteration() > state.iteration() && !next.finished();
        assertEquals(boundary, Checkpoint.due(0, 10, 600_000, state, next));
        assertEquals(false, Checkpoint.due(0, 10, 599_999, state, next));
        assertEquals(false, Checkpoint.due(0, 0, Long.MAX_VALUE, state, next));
        assertEquals(Checkpoint.due(3, state, next), Checkpoint.due(3, 10, 0, state, next));
        timeBoundaries += boundary ? 1 : 0;
        state = next;
      }
    }
    assertEquals(List.of(3, 6), due3.subList(0, 2), due3.toString());
    assertTrue(due3.size() <= 3 && due3.stream().allMatch(i -> i % 3 == 0), "once per K-th"
        + " iteration: " + due3);
    assertEquals(List.of(), due0);
    assertTrue(timeBoundaries >= 8, "iteration boundaries seen: " + timeBoundaries);
  }
}
