package org.lbfgsbeam.pipelines.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.training.TrainCommandTest;

/** {@code predict} through its command line. */
class PredictCommandTest {
  @TempDir
  static Path shared;

  @TempDir
  Path tmp;

  static Path run;

  @BeforeAll
  static void train() {
    run = shared.resolve("run");
    TrainCommandTest.Run r = TrainCommandTest.main("train", "--data",
        SharedData.file("synth-small.libsvm").toString(), "--lambda", "1e-3", "--partitions", "4",
        "--max-iterations", "6", "--output", run.toString());
    assertEquals(0, r.status(), r.err());
  }

  @Test
  void topLabelsAndProbabilitiesMatchANaiveLoop() throws IOException {
    Path data = SharedData.file("synth-small.libsvm");
    Path out = tmp.resolve("sub/predictions.csv");
    TrainCommandTest.Run r = TrainCommandTest.main("predict", "--model", run.toString(), "--data",
        data.toString(), "--output", out.toString(), "--top", "3");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("2000 predictions (top 3) written to " + out), r.out());
    List<String> lines = Files.readAllLines(out);
    assertEquals("example,label,predicted,top1_label,top1_probability,top2_label,"
        + "top2_probability,top3_label,top3_probability", lines.get(0));
    assertEquals(2001, lines.size());
    double[][] w = Models.softmaxWeights(run);
    SparseDataset set = LibsvmReader.read(data);
    int[] labels = set.classLabels();
    for (int i = 0; i < set.numExamples(); i++) {
      String[] f = lines.get(i + 1).split(",");
      assertEquals(9, f.length);
      assertEquals(i, Integer.parseInt(f[0]));
      assertEquals(labels[set.labels()[i]], Integer.parseInt(f[1]));
      assertEquals(f[2], f[3], "predicted is the top label");
      double[] z = new double[w.length];
      for (int c = 0; c < w.length; c++) {
        for (int p = set.rowOffsets()[i]; p < set.rowOffsets()[i + 1]; p++) {
          z[c] += set.values()[p] * w[c][set.columns()[p]];
        }
      }
      double m = Arrays.stream(z).max().getAsDouble();
      double logZ = m + Math.log(Arrays.stream(z).map(v -> Math.exp(v - m)).sum());
      Set<Integer> seen = new HashSet<>();
      double previous = 1;
      for (int rank = 0; rank < 3; rank++) {
        int label = Integer.parseInt(f[3 + 2 * rank]);
        double probability = Double.parseDouble(f[4 + 2 * rank]);
        int c = Arrays.binarySearch(labels, label);
        assertTrue(c >= 0 && seen.add(c), "distinct model labels: " + lines.get(i + 1));
        assertEquals(Math.exp(z[c] - logZ), probability, 1e-5 * probability);
        assertTrue(probability <= previous, "descending: " + lines.get(i + 1));
        previous = probability;
        if (rank == 0) {
          assertEquals(m, z[c], "the top label has the largest margin");
        }
      }
    }
    try (var files = Files.list(out.getParent())) {
      assertEquals(List.of(out), files.toList(), "no temporary file left behind");
    }
  }

  @Test
  void defaultTopIsFiveOrTheNumberOfClasses() throws IOException {
    Path out = tmp.resolve("p.csv");
    TrainCommandTest.Run r = TrainCommandTest.main("predict", "--model", run.toString(), "--data",
        SharedData.file("synth-small.libsvm").toString(), "--output", out.toString());
    assertEquals(0, r.status(), r.err());
    assertEquals(3 + 2 * 5, Files.readAllLines(out).get(0).split(",").length);

    Path binary = tmp.resolve("binary");
    TrainCommandTest.Run t = TrainCommandTest.main("train", "--data",
        SharedData.file("heart_scale.libsvm").toString(), "--max-iterations", "3", "--output",
        binary.toString());
    assertEquals(0, t.status(), t.err());
    Path out2 = tmp.resolve("p2.csv");
    TrainCommandTest.Run r2 = TrainCommandTest.main("predict", "--model", binary.toString(),
        "--data", SharedData.file("heart_scale.libsvm").toString(), "--output", out2.toString());
    assertEquals(0, r2.status(), r2.err());
    List<String> lines = Files.readAllLines(out2);
    assertEquals(3 + 2 * 2, lines.get(0).split(",").length, "K = 2 classes");
    String[] first = lines.get(1).split(",");
    assertEquals(1.0, Double.parseDouble(first[4]) + Double.parseDouble(first[6]), 1e-5);
  }

  @Test
  void badTopAndMissingInputFailWithOneLineAndNoOutput() throws IOException {
    Path out = tmp.resolve("p.csv");
    String data = SharedData.file("synth-small.libsvm").toString();
    for (String[] args : new String[][] {
        {"--top", "21"}, {"--top", "0"}, {"--top", "x"}}) {
      TrainCommandTest.Run r = TrainCommandTest.main("predict", "--model", run.toString(),
          "--data", data, "--output", out.toString(), args[0], args[1]);
      assertEquals(2, r.status(), r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      assertTrue(r.err().contains("--top must be"), r.err());
    }
    TrainCommandTest.Run missing = TrainCommandTest.main("predict", "--model", run.toString(),
        "--data", tmp.resolve("absent.libsvm").toString(), "--output", out.toString());
    assertEquals(2, missing.status());
    assertTrue(missing.err().contains("no such file"), missing.err());
    Path bad = tmp.resolve("bad.libsvm");
    Files.writeString(bad, "1 2:1 1:1\n");
    TrainCommandTest.Run malformed = TrainCommandTest.main("predict", "--model", run.toString(),
        "--data", bad.toString(), "--output", out.toString());
    assertEquals(2, malformed.status());
    assertTrue(malformed.err().contains(bad + ":1:"), malformed.err());
    assertFalse(Files.exists(out));
    try (var files = Files.list(tmp)) {
      assertEquals(List.of(bad), files.toList(), "no temporary file left behind");
    }
  }

  @Test
  void helpListsDefaultsAndOutputIsRequired() {
    TrainCommandTest.Run help = TrainCommandTest.main("predict", "--help");
    assertEquals(0, help.status());
    assertTrue(help.out().contains("--top K              labels per example, 1..classes (default 5"),
        help.out());
    TrainCommandTest.Run r = TrainCommandTest.main("predict", "--model", run.toString(), "--data",
        "x");
    assertEquals(2, r.status());
    assertTrue(r.err().contains("--output is required"), r.err());
  }
}
