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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.scoring.Models;

/**
 * {@code train --optimizer sgd|adam|mlbfgs|kfac}: the run directory, its trace and model, the flink
 * and direct runners' bits, bad options.
 */
class StochasticTrainCommandTest {
  @TempDir
  Path tmp;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sgd", "adam", "mlbfgs", "kfac"})
  void trainsAndWritesTheRun(String optimizer) throws Exception {
    String data = SharedData.file("heart_scale.libsvm").toString();
    Path run = tmp.resolve(optimizer);
    List<String> args = List.of("train", "--model", "mlp", "--optimizer", optimizer, "--data",
        data, "--validation", data, "--hidden", "8", "--epochs", "12", "--batch-size", "16",
        "--learning-rate", optimizer.equals("adam") ? "0.01" : "0.05", "--threads", "2",
        "--output", run.toString());
    TrainCommandTest.Run r = TrainCommandTest.main(args.toArray(String[]::new));
    assertEquals(0, r.status(), r.err());
    List<String> trace = Files.readAllLines(run.resolve("trace.csv"));
    assertEquals(StochasticTrainCommand.HEADER, trace.get(0));
    assertEquals(13, trace.size());
    assertTrue(trace.get(12).startsWith("12,204,"), trace.get(12)); // 17 steps of 16 per epoch
    JsonNode s = TrainCommandTest.summary(run);
    assertEquals(optimizer, s.get("optimizer").asText());
    assertTrue(s.get("validationAccuracy").asDouble() > 0.8, s.toString());
    assertTrue(Files.isRegularFile(run.resolve("charts/" + Charts.ACCURACY_BY_EPOCH)));
    assertArrayEquals(new int[] {13, 8, 2}, Models.network(run).network().layerSizes());
    // Deterministic: the same command on one thread gives the same model bits.
    Path again = tmp.resolve(optimizer + "-1");
    List<String> one = new java.util.ArrayList<>(args);
    one.set(one.indexOf("2"), "1");
    one.set(one.size() - 1, again.toString());
    assertEquals(0, TrainCommandTest.main(one.toArray(String[]::new)).status());
    assertArrayEquals(Models.network(run).theta(), Models.network(again).theta(), 0.0);
  }

  @Test
  void flinkRunnerWritesTheLocalRunsBits() throws Exception {
    String data = SharedData.file("heart_scale.libsvm").toString();
    List<String> args = List.of("train", "--model", "mlp", "--optimizer", "mlbfgs", "--data",
        data, "--validation", data, "--hidden", "8", "--epochs", "3", "--batch-size", "16",
        "--pair-period", "5", "--learning-rate", "0.05", "--threads", "2", "--max-block-size", "40");
    Path local = tmp.resolve("local");
    Path flink = tmp.resolve("flink");
    List<String> a = new java.util.ArrayList<>(args);
    a.addAll(List.of("--output", local.toString()));
    assertEquals(0, TrainCommandTest.main(a.toArray(String[]::new)).status());
    List<String> b = new java.util.ArrayList<>(args);
    b.addAll(List.of("--output", flink.toString(), "--runner", "flink"));
    TrainCommandTest.Run r = TrainCommandTest.main(b.toArray(String[]::new));
    assertEquals(0, r.status(), r.err());
    String said = r.out() + r.err();
    assertTrue(said.contains("flink: one job on [local], parallelism 2"), said);
    assertTrue(said.contains("epoch   3  steps     51"), said);
    assertArrayEquals(Models.network(local).theta(), Models.network(flink).theta(), 0.0);
    List<String> lt = Files.readAllLines(local.resolve("trace.csv"));
    List<String> ft = Files.readAllLines(flink.resolve("trace.csv"));
    for (int i = 0; i < lt.size(); i++) { // all but the seconds
      assertEquals(lt.get(i).substring(0, lt.get(i).lastIndexOf(',')),
          ft.get(i).substring(0, ft.get(i).lastIndexOf(',')));
    }
    assertEquals("flink", TrainCommandTest.summary(flink).get("runner").asText());
    assertFalse(Files.exists(flink.resolve("runner-work")), "the job's files are removed");
    // direct: a pipeline per step; one epoch of it has the same bits as local's first epoch.
    Path direct = tmp.resolve("direct");
    List<String> c = new java.util.ArrayList<>(args);
    c.set(c.indexOf("--epochs") + 1, "1");
    c.addAll(List.of("--output", direct.toString(), "--runner", "direct"));
    TrainCommandTest.Run d = TrainCommandTest.main(c.toArray(String[]::new));
    assertEquals(0, d.status(), d.err());
    assertEquals(lt.get(1).substring(0, lt.get(1).lastIndexOf(',')),
        Files.readAllLines(direct.resolve("trace.csv")).get(1).substring(0,
            lt.get(1).lastIndexOf(',')));
  }

  /**
   * {@code --optimizer kfac --runner direct} trains (a Beam pipeline per step) and writes the model
   * bits and the trace of the local run: 2 epochs of 3 steps in 3 shards, the true Fisher, factors
   * every 2 steps and inverses every 3, so steps with and without the shards' factors.
   */
  @Test
  void kfacOnTheDirectRunnerWritesTheLocalRunsBits() throws Exception {
    String data = SharedData.file("heart_scale.libsvm").toString();
    List<String> args = List.of("train", "--model", "mlp", "--optimizer", "kfac", "--data", data,
        "--validation", data, "--hidden", "8", "--epochs", "2", "--batch-size", "128",
        "--shards", "3", "--fisher", "true", "--factor-interval", "2", "--inverse-interval", "3",
        "--learning-rate", "0.05", "--threads", "2");
    Path local = tmp.resolve("local");
    Path direct = tmp.resolve("direct");
    List<String> a = new java.util.ArrayList<>(args);
    a.addAll(List.of("--output", local.toString()));
    TrainCommandTest.Run l = TrainCommandTest.main(a.toArray(String[]::new));
    assertEquals(0, l.status(), l.err());
    List<String> b = new java.util.ArrayList<>(args);
    b.addAll(List.of("--output", direct.toString(), "--runner", "direct"));
    TrainCommandTest.Run d = TrainCommandTest.main(b.toArray(String[]::new));
    assertEquals(0, d.status(), d.err());
    String said = d.out() + d.err();
    assertTrue(said.contains("direct: a Beam pipeline per step"), said);
    assertTrue(said.contains("epoch   2  steps      6"), said); // 270 rows: 128, 128 and 14
    assertArrayEquals(Models.network(local).theta(), Models.network(direct).theta(), 0.0);
    List<String> lt = Files.readAllLines(local.resolve("trace.csv"));
    List<String> dt = Files.readAllLines(direct.resolve("trace.csv"));
    assertEquals(3, dt.size());
    for (int i = 0; i < lt.size(); i++) { // all but the seconds
      assertEquals(lt.get(i).substring(0, lt.get(i).lastIndexOf(',')),
          dt.get(i).substring(0, dt.get(i).lastIndexOf(',')));
    }
    assertEquals("direct", TrainCommandTest.summary(direct).get("runner").asText());
    assertFalse(Files.exists(direct.resolve("runner-work")), "the pipelines' files are removed");
  }

  /**
   * A replacing run ({@code --overwrite}) that diverges: it fails after the point where the old
   * code had deleted --output (the training itself), so this is the test that --output is kept
   * byte for byte; nothing is left beside it. Then a run that finishes replaces it.
   */
  @Test
  void overwriteThatDivergesKeepsTheFinishedRun() throws Exception {
    String data = SharedData.file("heart_scale.libsvm").toString();
    Path out = tmp.resolve("out");
    List<String> common = List.of("train", "--model", "mlp", "--optimizer", "sgd", "--data", data,
        "--hidden", "4", "--epochs", "2", "--batch-size", "16", "--threads", "1", "--output",
        out.toString());
    List<String> first = new java.util.ArrayList<>(common);
    first.addAll(List.of("--learning-rate", "0.05"));
    assertEquals(0, TrainCommandTest.main(first.toArray(String[]::new)).status());
    java.util.Map<String, String> before = TrainCommandTest.finishedFiles(out);

    List<String> diverging = new java.util.ArrayList<>(common);
    diverging.addAll(List.of("--learning-rate", "1e6", "--overwrite"));
    TrainCommandTest.Run r = TrainCommandTest.main(diverging.toArray(String[]::new));
    assertEquals(2, r.status(), r.err());
    String said = r.err().strip().lines().reduce((a, b) -> b).orElse("");
    assertTrue(said.contains("not finite") || said.contains("diverged"), said);
    assertTrue(said.endsWith(out + " still holds the earlier run (--overwrite replaces it only"
        + " with a run that finishes)"), said);
    assertEquals(before, TrainCommandTest.finishedFiles(out));
    assertEquals(List.of("out"), TrainCommandTest.names(tmp), "nothing beside it");

    List<String> again = new java.util.ArrayList<>(common);
    again.addAll(List.of("--learning-rate", "0.01", "--overwrite"));
    r = TrainCommandTest.main(again.toArray(String[]::new));
    assertEquals(0, r.status(), r.err());
    assertEquals(0.01, TrainCommandTest.summary(out).get("learningRate").asDouble());
    assertEquals(List.of("out"), TrainCommandTest.names(tmp));
  }

  /**
   * A training set of one class is refused in one line naming the file; an autoencoder, whose
   * targets are its inputs, trains on it.
   */
  @Test
  void dataOfOneClassIsRefusedUnlessTheTargetsAreTheInputs() throws Exception {
    Path data = tmp.resolve("train.libsvm");
    Files.writeString(data, "7 1:0.5 2:1\n7 2:0.25\n7 1:1\n");
    Path out = tmp.resolve("out");
    TrainCommandTest.Run r = TrainCommandTest.main("train", "--model", "mlp", "--optimizer", "adam",
        "--data", data.toString(), "--hidden", "2", "--epochs", "1", "--output", out.toString());
    assertEquals(2, r.status(), r.err());
    assertEquals("lbfgs-beam train: bad input: " + data + ": every example has label 7: a network"
        + " over one class learns nothing; give data with at least two classes", r.err().strip());
    assertFalse(Files.exists(out));

    r = TrainCommandTest.main("train", "--model", "mlp", "--optimizer", "adam", "--data",
        data.toString(), "--hidden", "2", "--epochs", "1", "--loss", "squared", "--targets",
        "inputs", "--output", out.toString());
    assertEquals(0, r.status(), r.err());
  }

  @Test
  void badOptionsAreOneLineAndWriteNothing() {
    String data = SharedData.file("heart_scale.libsvm").toString();
    String out = tmp.resolve("o").toString();
    List<List<String>> cases = List.of(
        List.of("--optimizer", "rmsprop"),
        List.of("--optimizer", "sgd", "--runner", "beam-flink"),
        List.of("--optimizer", "sgd", "--runner", "flink", "--flink-master", "nowhere"),
        List.of("--optimizer", "sgd", "--learning-rate", "-1"),
        List.of("--optimizer", "sgd", "--momentum", "1.5"),
        List.of("--optimizer", "adam", "--schedule", "linear"),
        List.of("--optimizer", "sgd", "--epochs", "0"),
        List.of("--optimizer", "kfac", "--inversion", "lu"));
    List<String> messages = List.of(
        "--optimizer must be one of lbfgs, sgd, adam, mlbfgs, kfac, but was: rmsprop",
        "--optimizer sgd runs on --runner local, direct or flink, not beam-flink"
            + " (full-batch L-BFGS, --optimizer lbfgs, runs on every runner)",
        "--flink-master must be [local] or host:port, but was: nowhere",
        "--learning-rate must be finite and positive, but was: -1.0",
        "momentum must be in [0, 1), but was: 1.5",
        "--schedule must be one of constant, cosine, step, but was: linear",
        "--epochs must be positive, but was: 0",
        "--inversion must be one of eigen, tikhonov, but was: lu");
    for (int i = 0; i < cases.size(); i++) {
      List<String> args = new java.util.ArrayList<>(List.of("train", "--model", "mlp", "--data",
          data, "--output", out));
      args.addAll(cases.get(i));
      TrainCommandTest.Run r = TrainCommandTest.main(args.toArray(String[]::new));
      assertEquals(2, r.status(), r.err());
      assertEquals("lbfgs-beam train: " + messages.get(i), r.err().strip());
      assertFalse(Files.exists(Path.of(out)));
    }
  }
}
