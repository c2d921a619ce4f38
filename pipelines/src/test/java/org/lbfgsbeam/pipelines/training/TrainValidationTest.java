package org.lbfgsbeam.pipelines.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.data.IdxFixtures;
import org.lbfgsbeam.pipelines.scoring.Models;
import org.lbfgsbeam.transforms.LinearModelFiles;

/** {@code train --validation}, and training on IDX files. */
class TrainValidationTest {
  @TempDir
  Path tmp;

  static TrainCommandTest.Run train(Path out, String data, String... more) {
    List<String> args = new ArrayList<>(List.of("train", "--data", data, "--output",
        out.toString()));
    args.addAll(Arrays.asList(more));
    return TrainCommandTest.main(args.toArray(String[]::new));
  }

  static List<String[]> rows(Path run) throws IOException {
    List<String> lines = Files.readAllLines(run.resolve("trace.csv"));
    List<String[]> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      rows.add(line.split(",", -1));
    }
    return rows;
  }

  /** The accuracy {@code evaluate} reports for a run's model. */
  double evaluatedAccuracy(Path run, String data) throws IOException {
    Path json = tmp.resolve("eval-" + run.getFileName() + ".json");
    TrainCommandTest.Run r = TrainCommandTest.main("evaluate", "--model", run.toString(),
        "--data", data, "--output", json.toString(), "--overwrite");
    assertEquals(0, r.status(), r.err());
    return new ObjectMapper().readTree(json.toFile()).get("accuracy").asDouble();
  }

  /**
   * Row k's validation accuracy is that of iterate k: the model a run capped at k iterations ends
   * with, as {@code evaluate} scores it. Local and direct runners trace the same values.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "direct"})
  void rowKHoldsTheAccuracyOfIterateK(String runner) throws IOException {
    String data = SharedData.file("synth-small.libsvm").toString();
    String[] common = {"--lambda", "1e-3", "--partitions", "3", "--runner", runner,
        "--validation", data};
    Path full = tmp.resolve("full");
    List<String> args = new ArrayList<>(Arrays.asList(common));
    args.addAll(List.of("--max-iterations", "5"));
    TrainCommandTest.Run r = train(full, data, args.toArray(String[]::new));
    assertEquals(0, r.status(), r.err());
    List<String> lines = Files.readAllLines(full.resolve("trace.csv"));
    assertEquals(TraceRow.HEADER_WITH_VALIDATION, lines.get(0));
    List<String[]> rows = rows(full);
    assertEquals(6, rows.size());
    SparseDataset set = LibsvmReader.read(SharedData.file("synth-small.libsvm"));
    long firstClass = Arrays.stream(set.labels()).filter(c -> c == 0).count();
    assertEquals((double) firstClass / set.numExamples(), Double.parseDouble(rows.get(0)[6]),
        "x0 = 0: every class ties and the smallest wins");
    for (int k : new int[] {1, 2, 5}) { // accuracies 0.868, 0.998, 1: off by one would show
      Path capped = tmp.resolve("capped-" + k);
      List<String> a = new ArrayList<>(List.of("--lambda", "1e-3", "--partitions", "3",
          "--max-iterations", Integer.toString(k)));
      assertEquals(0, train(capped, data, a.toArray(String[]::new)).status());
      assertEquals(evaluatedAccuracy(capped, data), Double.parseDouble(rows.get(k)[6]),
          "iteration " + k);
    }
    JsonNode summary = TrainCommandTest.summary(full);
    assertEquals(Double.parseDouble(rows.get(5)[6]), summary.get("validationAccuracy").asDouble());
    List<String> progress = r.err().lines().filter(l -> l.startsWith("iter ")).toList();
    assertEquals(5, progress.size(), r.err());
    assertTrue(progress.stream().allMatch(l -> l.matches(".*  validation [01]\\.\\d{4}")),
        r.err());
    assertTrue(r.err().contains("validation accuracy 1.0000"), r.err());
  }

  /** The flink runner keeps its iterates inside the job: only the last row has an accuracy. */
  @Test
  void flinkRunnerValidatesTheFinalModelOnly() throws IOException {
    String data = SharedData.file("heart_scale.libsvm").toString();
    Path local = tmp.resolve("local");
    Path flink = tmp.resolve("flink");
    for (Path out : List.of(local, flink)) {
      TrainCommandTest.Run r = train(out, data, "--partitions", "2", "--max-iterations", "4",
          "--threads", "2", "--validation", data, "--runner", out == local ? "local" : "flink");
      assertEquals(0, r.status(), r.err());
    }
    List<String[]> a = rows(local);
    List<String[]> b = rows(flink);
    assertEquals(a.size(), b.size());
    for (int i = 0; i + 1 < b.size(); i++) {
      assertEquals("", b.get(i)[6], "row " + i);
      assertFalse(a.get(i)[6].isEmpty(), "row " + i);
    }
    assertEquals(a.get(a.size() - 1)[6], b.get(b.size() - 1)[6]);
  }

  @Test
  void logisticValidationIsTheSignOfTheMargin() throws IOException {
    String data = SharedData.file("heart_scale.libsvm").toString();
    Path out = tmp.resolve("logistic");
    TrainCommandTest.Run r = train(out, data, "--model", "logistic", "--partitions", "3",
        "--max-iterations", "10", "--validation", data);
    assertEquals(0, r.status(), r.err());
    SparseDataset set = LibsvmReader.read(SharedData.file("heart_scale.libsvm"));
    double[] w = new double[set.numFeatures()];
    LinearModelFiles.Info model = Models.linear(out);
    assertEquals("logistic", model.model());
    for (int b = 0; b < model.blockCount(); b++) {
      double[] row = LinearModelFiles.readBlock(model, b);
      System.arraycopy(row, 0, w, model.blocks().get(b).firstRow(), row.length);
    }
    int right = 0;
    for (int i = 0; i < set.numExamples(); i++) {
      double m = 0;
      for (int p = set.rowOffsets()[i]; p < set.rowOffsets()[i + 1]; p++) {
        m += set.values()[p] * w[set.columns()[p]];
      }
      right += (m > 0 ? 1 : 0) == set.labels()[i] ? 1 : 0;
    }
    List<String[]> rows = rows(out);
    assertEquals((double) right / set.numExamples(),
        Double.parseDouble(rows.get(rows.size() - 1)[6]));
    assertTrue(right > 0.7 * set.numExamples(), "right: " + right);
  }

  @Test
  void trainsOnIdxFilesWithLabelsBesideOrGiven() throws IOException {
    IdxFixtures.Set trainSet = IdxFixtures.stripes(300, new int[] {0, 1, 2, 3}, 11);
    IdxFixtures.Set testSet = IdxFixtures.stripes(100, new int[] {0, 1, 2, 3}, 12);
    Path images = IdxFixtures.write(tmp, "train", trainSet, true);
    Path test = IdxFixtures.write(tmp, "t10k", testSet, false);
    Path beside = tmp.resolve("beside");
    TrainCommandTest.Run r = train(beside, images.toString(), "--max-iterations", "30",
        "--partitions", "2", "--validation", test.toString());
    assertEquals(0, r.status(), r.err());
    JsonNode s = TrainCommandTest.summary(beside);
    assertEquals(300, s.get("examples").asInt());
    assertEquals(IdxFixtures.ROWS * IdxFixtures.COLS, s.get("features").asInt());
    assertEquals(4, s.get("classes").asInt());
    assertTrue(s.get("validationAccuracy").asDouble() >= 0.95, s.toString());
    assertEquals(s.get("validationAccuracy").asDouble(), evaluatedAccuracy(beside,
        test.toString()));

    Path renamed = tmp.resolve("elsewhere.labels");
    Files.copy(tmp.resolve("train-labels-idx1-ubyte.gz"), renamed);
    Path given = tmp.resolve("given");
    TrainCommandTest.Run g = train(given, images.toString(), "--max-iterations", "30",
        "--partitions", "2", "--labels", renamed.toString());
    assertEquals(0, g.status(), g.err());
    assertEquals(s.get("objective").asText(), TrainCommandTest.summary(given).get("objective")
        .asText());
    assertEquals(TraceRow.HEADER, Files.readAllLines(given.resolve("trace.csv")).get(0),
        "no validation column without --validation");
  }

  @Test
  void badValidationInputIsOneLineAndWritesNothing() throws IOException {
    String data = SharedData.file("heart_scale.libsvm").toString();
    Path validation = tmp.resolve("v.libsvm");
    Files.writeString(validation, "+1 1:0.5\n7 2:0.5\n");
    Path out = tmp.resolve("out");
    TrainCommandTest.Run r = train(out, data, "--validation", validation.toString());
    assertEquals(2, r.status());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains(validation + ": label 7 is not among"), r.err());
    assertFalse(Files.exists(out));

    TrainCommandTest.Run ls = train(out, data, "--model", "least-squares", "--validation", data);
    assertEquals(2, ls.status());
    assertTrue(ls.err().contains("--validation measures a classifier's accuracy"), ls.err());
    assertFalse(Files.exists(out));

    Path images = IdxFixtures.write(tmp, "x", IdxFixtures.stripes(5, new int[] {0, 1}, 1), false);
    TrainCommandTest.Run labels = train(out, data, "--labels", images.toString());
    assertEquals(2, labels.status());
    assertTrue(labels.err().contains("--labels is for IDX image files"), labels.err());
    assertFalse(Files.exists(out));
  }
}
