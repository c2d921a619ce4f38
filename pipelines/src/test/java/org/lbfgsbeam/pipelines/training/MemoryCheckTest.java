package org.lbfgsbeam.pipelines.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.partition.MemoryPlan;
import org.lbfgsbeam.pipelines.cli.TrainOptions;

/** Issue 12: runs that cannot fit are refused in one line before anything is allocated. */
class MemoryCheckTest {
  @TempDir
  Path tmp;

  private Path file(String name, String text) throws IOException {
    Path f = tmp.resolve(name);
    Files.writeString(f, text);
    return f;
  }

  private static List<String> lines(String err) {
    return err.lines().toList();
  }

  @Test
  void aTwoBillionIndexIsNamedWithItsLineAndTheBlockLimit() throws IOException {
    Path data = file("huge-index.libsvm", "1 2000000000:1\n2 3:1\n");
    Path out = tmp.resolve("run");
    TrainCommandTest.Run run = TrainCommandTest.main("train", "--data", data.toString(),
        "--output", out.toString());
    assertEquals(2, run.status(), run.err());
    assertEquals(1, lines(run.err()).size(), run.err());
    String line = run.err();
    assertTrue(line.startsWith("lbfgs-beam train: feature index 2000000000 on line 1 of " + data
        + " is 1.0e9 times the 2 distinct features used: a hashing or export error? (the model"
        + " would have 2,000,000,000 weights per class); with --partitions 1 a block holds 2"
        + " classes x 2,000,000,000 features = 4,000,000,000 doubles, more than one Java array"
        + " holds (2,147,483,639): use --partitions 2 or more"), line);
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void theOneLineFileOfTheIssueIsRefusedInOneLine() throws IOException {
    Path data = file("one-line.libsvm", "1 2000000000:1\n");
    Path out = tmp.resolve("run");
    TrainCommandTest.Run run = TrainCommandTest.main("train", "--data", data.toString(),
        "--output", out.toString());
    assertEquals(2, run.status(), run.err());
    assertEquals(1, lines(run.err()).size(), run.err());
    assertFalse(run.err().contains("Exception"), run.err());
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void threeClassesOfFiftyMillionFeaturesAreRefusedUnderThisHeap() throws IOException {
    Path data = file("wide.libsvm", "1 1:1\n2 2:1\n3 50000000:1\n");
    long heap = Runtime.getRuntime().maxMemory();
    // What the run needs: 3 x 5e7 weights, m = 5 (the default), P = 1, local.
    MemoryPlan plan = MemoryPlan.softmax(new MemoryPlan.Shape(3, 50_000_000, 3, 3), 5, 1,
        Runtime.getRuntime().availableProcessors(), MemoryPlan.Runner.LOCAL);
    Assumptions.assumeFalse(plan.fits(heap), "this JVM's heap of " + MemoryPlan.gb(heap)
        + " would hold the run: nothing to refuse");
    Path out = tmp.resolve("run");
    TrainCommandTest.Run run = TrainCommandTest.main("train", "--data", data.toString(),
        "--output", out.toString());
    assertEquals(2, run.status(), run.err());
    assertEquals(1, lines(run.err()).size(), run.err());
    String line = run.err();
    assertTrue(line.contains("feature index 50000000 on line 3 of " + data + " is 1.7e7 times the"
        + " 3 distinct features used"), line);
    assertTrue(line.contains("; the run needs " + plan.describe() + " but the heap is "
        + MemoryPlan.gb(heap)), line);
    long features = plan.largestFeaturesThatFit(heap);
    assertTrue(plan.withFeatures(features).fits(heap) && !plan.withFeatures(features + 1)
        .fits(heap), "the suggestion fits and is the largest that does");
    assertTrue(line.contains(String.format(java.util.Locale.ROOT, ": use at most %,d features",
        features)), line);
    assertTrue(line.contains("-Xmx" + MemoryPlan.wholeGb(plan.requiredHeap()) + "g"), line);
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void aRunThatFitsWarnsOfItsSuspectIndexAndTrains() throws IOException {
    Path data = file("suspect.libsvm", "1 1:1\n2 1000001:1\n");
    Path out = tmp.resolve("run");
    TrainCommandTest.Run run = TrainCommandTest.main("train", "--data", data.toString(),
        "--max-iterations", "2", "--threads", "1", "--output", out.toString());
    assertEquals(0, run.status(), run.err());
    assertEquals("warning: feature index 1000001 on line 2 of " + data + " is 5.0e5 times the 2"
        + " distinct features used: a hashing or export error? (the model would have 1,000,001"
        + " weights per class)", lines(run.err()).get(0));
    assertTrue(Files.isRegularFile(out.resolve("summary.json")));
  }

  @Test
  void aClusterRunSkipsTheHeapCheck() {
    TrainOptions remote = TrainOptions.parse(List.of("--data", "d", "--output", "o", "--runner",
        "flink", "--flink-master", "localhost:8081"));
    assertNull(MemoryCheck.runnerOf(remote));
    TrainOptions embedded = TrainOptions.parse(List.of("--data", "d", "--output", "o",
        "--runner", "beam-flink"));
    assertEquals(MemoryPlan.Runner.EMBEDDED_BEAM, MemoryCheck.runnerOf(embedded));
    assertEquals(MemoryPlan.Runner.EMBEDDED_FLINK, MemoryCheck.runnerOf(TrainOptions.parse(
        List.of("--data", "d", "--output", "o", "--runner", "flink"))));
    assertEquals(MemoryPlan.Runner.LOCAL, MemoryCheck.runnerOf(TrainOptions.parse(
        List.of("--data", "d", "--output", "o"))));
  }
}
