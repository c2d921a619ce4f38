package org.lbfgsbeam.pipelines.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.scoring.Models;
import org.lbfgsbeam.transforms.NetworkModelFiles;

/**
 * {@code train --model mlp} end to end on the command line: the model directory in its documented
 * format, evaluate and predict on it, and bad input and options refused in one line with nothing
 * written.
 */
class NetworkCommandsTest {

  @TempDir
  Path tmp;

  @Test
  void trainsEvaluatesAndPredicts() throws Exception {
    Path run = tmp.resolve("run");
    String data = SharedData.file("heart_scale.libsvm").toString();
    TrainCommandTest.Run r = TrainCommandTest.main("train", "--data", data, "--model", "mlp",
        "--hidden", "8", "--activation", "relu", "--batch-size", "50", "--lambda", "1e-3",
        "--max-iterations", "60", "--output", run.toString());
    assertEquals(0, r.status(), r.err());
    JsonNode model = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(run.resolve("model/model.json").toFile());
    assertEquals("mlp", model.get("model").asText());
    assertEquals("[13,8,2]", model.get("layerSizes").toString());
    assertEquals("relu", model.get("activation").asText());
    assertEquals("cross-entropy", model.get("loss").asText());
    assertEquals("layer-01-weights.bin", model.get("layers").get(1).get("weights").asText());
    // 8x13 weights: 24 header bytes + 8 bytes each.
    assertEquals(24 + 8 * 8 * 13, Files.size(run.resolve("model/layer-00-weights.bin")));
    JsonNode summary = TrainCommandTest.summary(run);
    assertEquals(13 * 8 + 8 + 8 * 2 + 2, summary.get("parameters").asInt());
    assertEquals(summary.get("evaluations").asInt(), summary.get("dataPasses").asInt());
    assertTrue(summary.has("blas"));
    // A network's lowest f is no optimum: its charts draw f, not f - f*.
    assertTrue(Files.isRegularFile(run.resolve("charts/" + Charts.OBJECTIVE_BY_ITERATION)));
    assertFalse(Files.exists(run.resolve("charts/" + Charts.GAP_BY_ITERATION)));

    Path metrics = tmp.resolve("metrics.json");
    TrainCommandTest.Run e = TrainCommandTest.main("evaluate", "--model", run.toString(), "--data",
        data, "--output", metrics.toString());
    assertEquals(0, e.status(), e.err());
    double accuracy = new com.fasterxml.jackson.databind.ObjectMapper().readTree(metrics.toFile())
        .get("accuracy").asDouble();
    // A 13-8-2 network fits the training set at least as well as the linear model (0.84 here).
    assertTrue(accuracy > 0.85, "training accuracy " + accuracy);

    Path predictions = tmp.resolve("p.csv");
    TrainCommandTest.Run p = TrainCommandTest.main("predict", "--model", run.toString(), "--data",
        data, "--output", predictions.toString(), "--top", "2");
    assertEquals(0, p.status(), p.err());
    List<String> lines = Files.readAllLines(predictions);
    assertEquals(271, lines.size());
    String[] first = lines.get(1).split(",");
    double p1 = Double.parseDouble(first[4]);
    double p2 = Double.parseDouble(first[6]);
    assertEquals(1.0, p1 + p2, 1e-5, "two classes: the probabilities sum to 1");
    assertTrue(p1 >= p2);

    // The model reads back to the trained theta, and refuses a non-finite weight.
    NetworkModelFiles.Network read = Models.network(run);
    assertEquals(summary.get("parameters").asInt(), read.theta().length);
    Path bias = run.resolve("model/layer-01-bias.bin");
    byte[] bytes = Files.readAllBytes(bias);
    java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .putDouble(24, Double.POSITIVE_INFINITY);
    Files.write(bias, bytes);
    TrainCommandTest.Run bad = TrainCommandTest.main("evaluate", "--model", run.toString(),
        "--data", data);
    assertEquals(2, bad.status());
    assertTrue(bad.err().contains(bias + ": weight 0 (layer 1 bias, unit 0) is +Inf"), bad.err());
  }

  @Test
  void nonFiniteInputIsOneLineNamingFileAndLineAndWritesNothing() throws Exception {
    Path file = tmp.resolve("bad.libsvm");
    Files.writeString(file, "1 1:0.5 2:1\n2 1:0.25 2:nan\n1 2:3\n");
    Path out = tmp.resolve("out");
    TrainCommandTest.Run r = TrainCommandTest.main("train", "--data", file.toString(), "--model",
        "mlp", "--hidden", "3", "--output", out.toString());
    assertEquals(2, r.status());
    assertEquals("lbfgs-beam train: bad input: " + file + ":2: non-finite value 'nan' for feature 2",
        r.err().strip());
    assertFalse(Files.exists(out));
  }

  @Test
  void badNetworkOptionsAreOneLine() {
    String data = SharedData.file("heart_scale.libsvm").toString();
    String out = tmp.resolve("o").toString();
    List<List<String>> cases = List.of(
        List.of("--model", "mlp", "--hidden", "0"),
        List.of("--model", "mlp", "--hidden", "8,x"),
        List.of("--model", "mlp", "--activation", "softplus"),
        List.of("--model", "mlp", "--loss", "hinge"),
        List.of("--model", "mlp", "--batch-size", "0"),
        List.of("--model", "mlp", "--batch-size", "100", "--shards", "5"),
        List.of("--model", "softmax", "--hidden", "8"));
    List<String> messages = List.of(
        "--hidden must be positive layer sizes separated by commas (e.g. 256,128), but was: 0",
        "--hidden must be positive layer sizes separated by commas (e.g. 256,128), but was: 8,x",
        "--activation must be one of relu, tanh, sigmoid, but was: softplus",
        "--loss must be cross-entropy or squared, but was: hinge",
        "--batch-size must be positive, but was: 0",
        "--shards must be at most the number of batches (3 of up to 100 examples), but was: 5",
        "--hidden is an option of --model mlp");
    for (int i = 0; i < cases.size(); i++) {
      List<String> args = new java.util.ArrayList<>(List.of("train", "--data", data, "--output",
          out));
      args.addAll(cases.get(i));
      TrainCommandTest.Run r = TrainCommandTest.main(args.toArray(String[]::new));
      assertEquals(2, r.status(), r.err());
      assertEquals("lbfgs-beam train: " + messages.get(i), r.err().strip());
      assertFalse(Files.exists(Path.of(out)));
    }
  }

  @Test
  void squaredLossTrainsOnOneHotTargets() throws Exception {
    Path run = tmp.resolve("sq");
    TrainCommandTest.Run r = TrainCommandTest.main("train", "--data",
        SharedData.file("heart_scale.libsvm").toString(), "--model", "mlp", "--hidden", "4",
        "--activation", "tanh", "--loss", "squared", "--max-iterations", "20", "--output",
        run.toString());
    assertEquals(0, r.status(), r.err());
    assertEquals("squared", TrainCommandTest.summary(run).get("network").get("loss").asText());
    assertArrayEquals(new int[] {13, 4, 2}, Models.network(run).network().layerSizes());
  }
}
