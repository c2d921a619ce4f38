package org.lbfgsbeam.pipelines.scoring;

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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.training.TrainCommandTest;

/** {@code evaluate} through its command line, checked against a naive loop over the saved W. */
class EvaluateCommandTest {
  @TempDir
  static Path shared;

  @TempDir
  Path tmp;

  /** synth-small (K = 20) trained for a few iterations in 3 class blocks. */
  static Path run;

  @BeforeAll
  static void train() {
    run = shared.resolve("run");
    TrainCommandTest.Run r = TrainCommandTest.main("train", "--data",
        SharedData.file("synth-small.libsvm").toString(), "--lambda", "1e-3", "--partitions", "3",
        "--max-iterations", "6", "--output", run.toString());
    assertEquals(0, r.status(), r.err());
  }

  /** What a naive loop over the whole K x D matrix makes of a data set. */
  record Naive(double accuracy, double top5, double logLoss, long[][] confusion) {}

  static Naive naive(double[][] w, int[] modelLabels, SparseDataset data) {
    int k = w.length;
    long[][] confusion = new long[k][k];
    int right = 0;
    int inTop = 0;
    double loss = 0;
    for (int i = 0; i < data.numExamples(); i++) {
      double[] z = new double[k];
      for (int c = 0; c < k; c++) {
        for (int p = data.rowOffsets()[i]; p < data.rowOffsets()[i + 1]; p++) {
          int j = data.columns()[p];
          if (j < w[c].length) {
            z[c] += data.values()[p] * w[c][j];
          }
        }
      }
      double m = Arrays.stream(z).max().getAsDouble();
      double s = Arrays.stream(z).map(v -> Math.exp(v - m)).sum();
      int y = Arrays.binarySearch(modelLabels, data.classLabels()[data.labels()[i]]);
      int best = 0;
      int above = 0;
      for (int c = 0; c < k; c++) {
        if (z[c] > z[best]) {
          best = c;
        }
        if (z[c] > z[y] || (z[c] == z[y] && c < y)) {
          above++;
        }
      }
      confusion[y][best]++;
      right += best == y ? 1 : 0;
      inTop += above < 5 ? 1 : 0;
      loss += m + Math.log(s) - z[y];
    }
    int n = data.numExamples();
    return new Naive((double) right / n, (double) inTop / n, loss / n, confusion);
  }

  static JsonNode json(Path file) throws IOException {
    return new ObjectMapper().readTree(file.toFile());
  }

  @Test
  void metricsMatchANaiveLoopOverTheSavedModel() throws IOException {
    Path out = tmp.resolve("eval.json");
    Path confusion = tmp.resolve("confusion.csv");
    Path data = SharedData.file("synth-small.libsvm");
    TrainCommandTest.Run r = TrainCommandTest.main("evaluate", "--model",
        run.resolve("model").toString(), "--data", data.toString(), "--output", out.toString(),
        "--confusion", confusion.toString());
    assertEquals(0, r.status(), r.err());
    double[][] w = Models.softmaxWeights(run);
    SparseDataset set = LibsvmReader.read(data);
    Naive expected = naive(w, set.classLabels(), set);
    JsonNode j = json(out);
    assertEquals(2000, j.get("examples").asInt());
    assertEquals(20, j.get("classes").asInt());
    assertEquals(5, j.get("topK").asInt());
    assertEquals(expected.accuracy(), j.get("accuracy").asDouble(), 1e-15);
    assertEquals(expected.top5(), j.get("top5Accuracy").asDouble(), 1e-15);
    assertEquals(expected.logLoss(), j.get("logLoss").asDouble(), 1e-12 * expected.logLoss());
    assertTrue(expected.accuracy() > 0.3, "a trained model beats chance (1/20): "
        + expected.accuracy());

    List<String> csv = Files.readAllLines(confusion);
    assertEquals(21, csv.size());
    assertTrue(csv.get(0).startsWith("true\\predicted,"), csv.get(0));
    double macroRecall = 0;
    for (int c = 0; c < 20; c++) {
      String[] cells = csv.get(c + 1).split(",");
      assertEquals(set.classLabels()[c], Integer.parseInt(cells[0]));
      long support = 0;
      long predicted = 0;
      for (int p = 0; p < 20; p++) {
        assertEquals(expected.confusion()[c][p], Long.parseLong(cells[p + 1]), "cell " + c + "," + p);
        support += expected.confusion()[c][p];
        predicted += expected.confusion()[p][c];
      }
      JsonNode row = j.get("perClass").get(c);
      long tp = expected.confusion()[c][c];
      assertEquals(set.classLabels()[c], row.get("label").asInt());
      assertEquals(support, row.get("support").asLong());
      assertEquals(predicted == 0 ? 0 : (double) tp / predicted, row.get("precision").asDouble(),
          1e-15);
      assertEquals((double) tp / support, row.get("recall").asDouble(), 1e-15);
      macroRecall += (double) tp / support / 20;
    }
    assertEquals(macroRecall, j.get("macroRecall").asDouble(), 1e-12);
    assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "accuracy          %.4f",
        expected.accuracy())), r.out());
    assertTrue(r.out().contains("top-5 accuracy"), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("macro")), r.out());
  }

  @Test
  void runDirectoryIsAcceptedAndNarrowerOrWiderTestSetsAreAligned() throws IOException {
    SparseDataset train = LibsvmReader.read(SharedData.file("synth-small.libsvm"));
    int d = train.numFeatures();
    // Two classes only, features 1 and 3, plus one feature far beyond the model's D.
    Path wide = tmp.resolve("wide.libsvm");
    Path narrow = tmp.resolve("narrow.libsvm");
    int a = train.classLabels()[1];
    int b = train.classLabels()[7];
    Files.writeString(wide, a + " 1:0.5 3:0.25 " + (d + 40) + ":9\n" + b + " 3:1\n");
    Files.writeString(narrow, a + " 1:0.5 3:0.25\n" + b + " 3:1\n");
    Path outWide = tmp.resolve("wide.json");
    Path outNarrow = tmp.resolve("narrow.json");
    TrainCommandTest.Run r1 = TrainCommandTest.main("evaluate", "--model", run.toString(),
        "--data", wide.toString(), "--output", outWide.toString());
    TrainCommandTest.Run r2 = TrainCommandTest.main("evaluate", "--model", run.toString(),
        "--data", narrow.toString(), "--output", outNarrow.toString());
    assertEquals(0, r1.status(), r1.err());
    assertEquals(0, r2.status(), r2.err());
    JsonNode jw = json(outWide);
    JsonNode jn = json(outNarrow);
    assertEquals(1, jw.get("ignoredNonzeros").asInt());
    assertEquals(d + 40, jw.get("dataFeatures").asInt());
    assertEquals(0, jn.get("ignoredNonzeros").asInt());
    assertEquals(d, jn.get("dataFeatures").asInt(), "padded to the model's D");
    for (String key : List.of("accuracy", "top5Accuracy", "logLoss")) {
      assertEquals(jn.get(key).asDouble(), jw.get(key).asDouble(), key);
    }
    assertTrue(r1.out().contains("1 nonzeros of features beyond the model's ignored"), r1.out());
    assertEquals(0, jn.get("perClass").get(0).get("support").asInt(), "a class the set lacks");
  }

  @Test
  void unknownLabelIsOneLineAndWritesNothing() throws IOException {
    Path data = tmp.resolve("test.libsvm");
    Files.writeString(data, "1 1:1\n12345 2:1\n");
    Path out = tmp.resolve("eval.json");
    TrainCommandTest.Run r = TrainCommandTest.main("evaluate", "--model", run.toString(),
        "--data", data.toString(), "--output", out.toString(), "--confusion",
        tmp.resolve("c.csv").toString());
    assertEquals(2, r.status());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains(data + ": label 12345 is not among the model's class labels"),
        r.err());
    try (var files = Files.list(tmp)) {
      assertEquals(List.of(data), files.toList(), "nothing written");
    }
  }

  @Test
  void nonSoftmaxModelsAreRefused() {
    Path logistic = tmp.resolve("logistic");
    TrainCommandTest.Run t = TrainCommandTest.main("train", "--data",
        SharedData.file("heart_scale.libsvm").toString(), "--model", "logistic",
        "--max-iterations", "3", "--output", logistic.toString());
    assertEquals(0, t.status(), t.err());
    TrainCommandTest.Run r = TrainCommandTest.main("evaluate", "--model", logistic.toString(),
        "--data", SharedData.file("heart_scale.libsvm").toString());
    assertEquals(2, r.status());
    assertTrue(r.err().contains("evaluate scores softmax models, but"), r.err());
    assertTrue(r.err().contains("is a logistic model"), r.err());
  }

  @Test
  void existingOutputIsRefusedUnlessOverwrite() throws IOException {
    Path out = tmp.resolve("eval.json");
    Files.writeString(out, "keep");
    String data = SharedData.file("synth-small.libsvm").toString();
    TrainCommandTest.Run refused = TrainCommandTest.main("evaluate", "--model", run.toString(),
        "--data", data, "--output", out.toString());
    assertEquals(2, refused.status());
    assertTrue(refused.err().contains("exists (use --overwrite"), refused.err());
    assertEquals("keep", Files.readString(out));
    TrainCommandTest.Run replaced = TrainCommandTest.main("evaluate", "--model", run.toString(),
        "--data", data, "--output", out.toString(), "--overwrite");
    assertEquals(0, replaced.status(), replaced.err());
    assertTrue(json(out).has("accuracy"));
  }

  @Test
  void usageErrorsAndHelp() {
    TrainCommandTest.Run help = TrainCommandTest.main("evaluate", "--help");
    assertEquals(0, help.status());
    assertTrue(help.out().contains("--labels FILE        IDX labels of --data (default: found"
        + " beside the images)"), help.out());
    List<List<String>> bad = List.of(
        List.of("--model", run.toString()),
        List.of("--model", run.toString(), "--data", "x", "--bogus", "1"),
        List.of("--data", "x", "--model"));
    List<String> messages = List.of("--data is required", "unknown option --bogus",
        "--model needs a value");
    for (int i = 0; i < bad.size(); i++) {
      List<String> args = new ArrayList<>(List.of("evaluate"));
      args.addAll(bad.get(i));
      TrainCommandTest.Run r = TrainCommandTest.main(args.toArray(String[]::new));
      assertEquals(2, r.status(), r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      assertTrue(r.err().contains(messages.get(i)), r.err());
    }
    TrainCommandTest.Run missing = TrainCommandTest.main("evaluate", "--model",
        tmp.resolve("nothing").toString(), "--data", "x");
    assertEquals(2, missing.status());
    assertTrue(missing.err().contains("no such file"), missing.err());
    assertFalse(missing.err().contains("Exception"), missing.err());
  }
}
