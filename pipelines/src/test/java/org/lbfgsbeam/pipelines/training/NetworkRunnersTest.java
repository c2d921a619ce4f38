package org.lbfgsbeam.pipelines.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.batch.BatchSum;
import org.lbfgsbeam.core.batch.DataParallelLayout;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MlpObjective;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.core.optim.IterationListener;
import org.lbfgsbeam.core.optim.Lbfgs;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsResult;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.scoring.Models;
import org.lbfgsbeam.transforms.NetworkModelFiles;

/**
 * A small network (13-5-4-2 tanh, heart_scale's 270 examples in 4 batches of up to 70, 2 shards, theta
 * in 3 blocks) gives bit-identical weights after 10 iterations on the serial API and on every runner
 * of {@code train --model mlp}: local, direct, beam-flink and flink. OpenBLAS is pinned to one thread
 * in the test JVM (surefire's environment), as the bits depend on its thread count.
 */
class NetworkRunnersTest {
  private static final int ITERATIONS = 10;

  @TempDir
  static Path tmp;

  private static LbfgsResult serial;

  @BeforeAll
  static void serialRun() {
    SparseDataset data = SharedData.dataset("heart_scale.libsvm");
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {13, 5, 4, 2}, Activation.TANH,
        Loss.SOFTMAX_CROSS_ENTROPY);
    List<DenseBatch> batches = DenseBatch.fromDataset(data, 70);
    assertEquals(4, batches.size());
    BatchSum<DenseBatch> sum = MlpObjective.meanLoss(net, data.numExamples(), 1e-3);
    serial = Lbfgs.minimize(sum, batches, net.initialParameters(3),
        LbfgsOptions.defaults().withMaxIterations(ITERATIONS), new DataParallelLayout(3, 2, 1),
        IterationListener.none());
    assertEquals(ITERATIONS, serial.iterations(), serial.stopReason().toString());
  }

  static Path train(String runner) {
    Path out = tmp.resolve(runner);
    TrainCommandTest.Run run = TrainCommandTest.main("train", "--data",
        SharedData.file("heart_scale.libsvm").toString(), "--model", "mlp", "--hidden", "5,4",
        "--activation", "tanh", "--batch-size", "70", "--shards", "2", "--seed", "3",
        "--lambda", "1e-3", "--partitions", "3", "--max-iterations", Integer.toString(ITERATIONS),
        "--runner", runner, "--threads", "2", "--output", out.toString());
    assertEquals(0, run.status(), run.err());
    return out;
  }

  private static void assertSameAsSerial(Path run) throws Exception {
    NetworkModelFiles.Network model = Models.network(run);
    assertArrayEquals(serial.x(), model.theta(), 0.0, "theta bits");
    JsonNode summary = TrainCommandTest.summary(run);
    assertEquals(Numbers.exact(serial.value()), summary.get("objective").asText());
    assertEquals(serial.evaluations(), summary.get("evaluations").asInt());
    assertEquals("mlp", summary.get("model").asText());
    assertEquals(2, summary.get("network").get("shards").asInt());
  }

  @Test
  void localGivesTheSerialBits() throws Exception {
    assertSameAsSerial(train("local"));
  }

  @Test
  void directGivesTheSerialBits() throws Exception {
    assertSameAsSerial(train("direct"));
  }

  @Test
  void beamFlinkGivesTheSerialBits() throws Exception {
    assertSameAsSerial(train("beam-flink"));
  }

  @Test
  void flinkGivesTheSerialBits() throws Exception {
    Path run = train("flink");
    assertSameAsSerial(run);
    assertTrue(Files.isRegularFile(run.resolve("model/layer-00-weights.bin")));
  }
}
