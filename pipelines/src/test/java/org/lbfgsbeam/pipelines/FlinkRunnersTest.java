package org.lbfgsbeam.pipelines;

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
}
