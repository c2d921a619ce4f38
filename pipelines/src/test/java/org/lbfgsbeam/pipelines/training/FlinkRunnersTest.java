package org.lbfgsbeam.pipelines.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lbfgsbeam.core.testing.SharedData;

/**
 * The Flink runners on an embedded mini-cluster give the in-process path's bits: {@code flink} (one
 * bulk-iteration job) and {@code beam-flink} (Beam's FlinkRunner, a pipeline per superstep).
 */
class FlinkRunnersTest {

  @TempDir
  Path tmp;

  @ParameterizedTest(name = "{0} {1} P={2} {3}")
  @CsvSource({
      "flink, synth-small.libsvm, 7, vector-free, 8",
      "flink, heart_scale.libsvm, 2, two-loop, 12",
      "beam-flink, heart_scale.libsvm, 2, vector-free, 4"})
  void sameBitsAsLocal(String runner, String file, int partitions, String direction,
      int iterations) throws Exception {
    Path local = tmp.resolve("local");
    Path flink = tmp.resolve(runner);
    for (String r : List.of("local", runner)) {
      List<String> args = new ArrayList<>(List.of("train", "--data",
          SharedData.file(file).toString(), "--lambda", "1e-4", "--runner", r, "--partitions",
          Integer.toString(partitions), "--direction", direction, "--max-iterations",
          Integer.toString(iterations), "--threads", "2", "--output",
          (r.equals("local") ? local : flink).toString()));
      TrainCommandTest.Run run = TrainCommandTest.main(args.toArray(String[]::new));
      assertEquals(0, run.status(), run.err());
    }
    JsonNode a = TrainCommandTest.summary(local);
    JsonNode b = TrainCommandTest.summary(flink);
    assertEquals(runner, b.get("runner").asText());
    assertEquals(a.get("objective").asText(), b.get("objective").asText());
    assertEquals(a.get("evaluations").asInt(), b.get("evaluations").asInt());
    assertEquals(a.get("stopReason").asText(), b.get("stopReason").asText());
    if (runner.equals("flink")) {
      // The job's speculative gradient passes (trials the line search dropped) are counted.
      int speculative = b.get("speculativeGradientPasses").asInt();
      assertEquals(a.get("dataPasses").asInt() + speculative, b.get("dataPasses").asInt());
      assertTrue(speculative <= a.get("evaluations").asInt() - a.get("iterations").asInt(),
          "at most one per trial the line search rejected: " + speculative);
      // Vector-free: at most two barriers per L-BFGS superstep (trial, slope with the gradient
      // and the next commit's speculative Gram entries) plus one for each superstep whose Gram
      // entries were not speculated right (its PREPARE), plus the first superstep's and the final
      // write; four per superstep before the slope and gradient phases were merged, three before
      // the Gram entries came with the slope.
      int barriers = b.get("barrierSupersteps").asInt();
      int supersteps = b.get("supersteps").asInt();
      int dropped = b.get("droppedSpeculativeGramPasses").asInt();
      assertTrue(dropped <= a.get("evaluations").asInt(), "dropped Gram passes: " + dropped);
      assertTrue(barriers > supersteps
          && (!direction.equals("vector-free") || barriers <= 2 * supersteps + dropped + 2),
          barriers + " barriers for " + supersteps + " supersteps, " + dropped
              + " speculative Gram passes dropped");
    }
    for (int p = 0; p < partitions; p++) {
      String w = String.format("model/weights-%05d.bin", p);
      assertArrayEquals(Files.readAllBytes(local.resolve(w)), Files.readAllBytes(flink.resolve(w)), w);
    }
    List<String> traceLocal = Files.readAllLines(local.resolve("trace.csv"));
    List<String> traceFlink = Files.readAllLines(flink.resolve("trace.csv"));
    assertEquals(traceLocal.size(), traceFlink.size(), "a trace row per iteration");
    for (int i = 1; i < traceLocal.size(); i++) {
      String[] x = traceLocal.get(i).split(",");
      String[] y = traceFlink.get(i).split(",");
      for (int c = 0; c < 5; c++) { // all but seconds
        assertEquals(x[c], y[c], "trace row " + i);
      }
    }
    assertTrue(Files.isRegularFile(flink.resolve("state/run.json")));
  }

  /**
   * The flink runner starts its embedded cluster while the data is read (FlinkSession.startEarly);
   * a run refused after that (here: data of one class) stops that cluster and removes its files.
   */
  @org.junit.jupiter.api.Test
  void aRunRefusedAfterTheEarlyStartStopsItsCluster() throws Exception {
    Path data = tmp.resolve("one-class.libsvm");
    Files.writeString(data, "1 1:0.5 2:1\n1 2:0.25\n1 1:1\n");
    java.util.Set<String> before = flinkTemporaryFiles();
    TrainCommandTest.Run run = TrainCommandTest.main("train", "--data", data.toString(),
        "--lambda", "1e-4", "--runner", "flink", "--output", tmp.resolve("out").toString());
    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().contains("every example has label 1"), run.err());
    java.util.Set<String> left = flinkTemporaryFiles();
    left.removeAll(before);
    assertEquals(java.util.Set.of(), left);
    long deadline = System.nanoTime() + 30_000_000_000L;
    List<String> flinkThreads;
    do { // the cluster's threads end as it closes (the start may still be under way at the refusal)
      flinkThreads = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
          .filter(n -> n.startsWith("flink-") || n.startsWith("mini-cluster")
              || n.startsWith("start-flink-mini-cluster"))
          .filter(n -> !n.startsWith("flink-metrics")) // Flink's static metric pool
          .toList();
      if (flinkThreads.isEmpty()) {
        break;
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    assertEquals(List.of(), flinkThreads);
  }

  private static java.util.Set<String> flinkTemporaryFiles() throws java.io.IOException {
    try (var files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return files.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("flink-rpc-akka") || n.startsWith("minicluster_")
              || n.startsWith("lbfgs-beam-flink-"))
          .collect(java.util.stream.Collectors.toCollection(java.util.HashSet::new));
    }
  }
}
