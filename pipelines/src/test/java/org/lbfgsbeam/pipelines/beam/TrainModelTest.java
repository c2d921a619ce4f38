package org.lbfgsbeam.pipelines.beam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.transforms.LabeledExample;

/**
 * {@link TrainModel}'s options, the {@code train} arguments they make, and the checks made when it
 * is built and applied; the runs themselves are in {@code TextClassificationPipelineTest}.
 */
class TrainModelTest {
  @TempDir
  Path tmp;

  @Test
  void trainArgumentsAreTheOptionsSetAndTrainsDefaultsForTheRest() {
    TrainModel t = TrainModel.softmax().withStagingDirectory("/data/s");
    assertEquals(List.of("--data", "/data/s/part-*-of-*", "--output", "/data/s/run", "--model",
        "softmax", "--lambda", "1.0E-4", "--partitions", "1", "--runner", "local"),
        t.trainArguments());
    TrainModel all = TrainModel.mlp(8, 4).withStagingDirectory("/data/s")
        .withOutputDirectory("/runs/a").withLambda(0.5).withPartitions(3).withHistory(7)
        .withMaxIterations(9).withGradientTolerance(1e-6).withThreads(2).withRunner("flink")
        .withFlinkMaster("host:8081").withOverwrite(true);
    assertEquals(List.of("--data", "/data/s/part-*-of-*", "--output", "/runs/a", "--model", "mlp",
        "--hidden", "8,4", "--lambda", "0.5", "--partitions", "3", "--runner", "flink",
        "--flink-master", "host:8081", "--history", "7", "--max-iterations", "9",
        "--gradient-tolerance", "1.0E-6", "--threads", "2", "--overwrite"), all.trainArguments());
  }

  @Test
  void badOptionsAreRefusedNamingTheValue() {
    assertMessage("lambda must be finite and >= 0, but was: -1.0",
        () -> TrainModel.softmax().withLambda(-1));
    assertMessage("partitions must be positive, but was: 0",
        () -> TrainModel.logistic().withPartitions(0));
    assertMessage("runner must be one of [local, flink] (a training inside a pipeline), but was:"
        + " direct", () -> TrainModel.leastSquares().withRunner("direct"));
    assertMessage("flinkMaster must be [local] or host:port, but was: host",
        () -> TrainModel.softmax().withFlinkMaster("host"));
    assertMessage("hidden layer sizes must be positive, but were: [4, 0]",
        () -> TrainModel.mlp(4, 0));
    assertMessage("staging directory must be a path the training worker can open (train reads and"
        + " writes local or mounted files), not a URI, but was: gs://bucket/s",
        () -> TrainModel.softmax().withStagingDirectory("gs://bucket/s"));
  }

  @Test
  void applyingChecksTheDirectories() throws IOException {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<LabeledExample> examples = p.apply(Create.of(
        LabeledExample.of(0, new int[] {1}, new double[] {1})));
    assertMessage("staging directory must be set (withStagingDirectory), but was: null",
        () -> examples.apply("Unstaged", TrainModel.softmax()));
    Path run = Files.createDirectories(tmp.resolve("run"));
    Files.writeString(run.resolve("summary.json"), "{}");
    assertMessage("output " + run + " exists and is not empty (use withOverwrite(true) to replace"
        + " it)", () -> examples.apply("Taken", TrainModel.softmax()
            .withStagingDirectory(tmp.resolve("s").toString()).withOutputDirectory(run.toString())));
  }

  @Test
  void displayDataShowsTheEquivalentCommand() {
    TrainModel t = TrainModel.softmax().withStagingDirectory("/data/s").withLambda(0.01);
    DisplayData data = DisplayData.from(t);
    assertTrue(data.items().stream().anyMatch(i -> i.getKey().equals("train")
        && i.getValue().equals("train " + String.join(" ", t.trainArguments()))), data.toString());
    assertTrue(data.items().stream().anyMatch(i -> i.getKey().equals("lambda")), data.toString());
  }

  @Test
  void trainedModelCoderRoundTrips() throws IOException {
    TrainedModel m = TrainedModel.of("/runs/a", new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree("{\"model\": \"softmax\", \"classes\": 3, \"features\": 256, \"examples\": 480,"
            + " \"objective\": 0.123456789012345678, \"iterations\": 60, \"evaluations\": 63,"
            + " \"stopReason\": \"MAX_ITERATIONS\"}"));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TrainedModel.TrainedModelCoder.of().encode(m, bytes);
    assertEquals(m, TrainedModel.TrainedModelCoder.of().decode(
        new ByteArrayInputStream(bytes.toByteArray())));
    assertEquals("/runs/a/model", m.modelDirectory());
  }

  private static void assertMessage(String message, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertEquals(message, e.getMessage());
  }
}
