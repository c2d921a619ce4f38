package org.lbfgsbeam.pipelines.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.batch.BatchObjective;
import org.lbfgsbeam.core.batch.BatchSum;
import org.lbfgsbeam.core.batch.DataParallelLayout;
import org.lbfgsbeam.core.batch.Regularizer;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.core.optim.IterationListener;
import org.lbfgsbeam.core.optim.Lbfgs;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsResult;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.transforms.DenseBatchCoder;
import org.lbfgsbeam.transforms.StagedBatches;

/**
 * {@code FlinkLbfgs.minimize}, one Flink job on an embedded mini-cluster, on a user's own batch
 * objective (a lambda around a network's backprop, as a user would write it): the serial call's bits.
 */
class FlinkLbfgsTest {

  @TempDir
  Path tmp;

  @Test
  void embeddedJobGivesTheSerialBits() throws Exception {
    SparseDataset data = SharedData.dataset("heart_scale.libsvm");
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {13, 6, 2}, Activation.SIGMOID,
        Loss.SOFTMAX_CROSS_ENTROPY);
    // The user's batch loss: summed cross-entropy and its gradient from the network's backprop.
    BatchObjective<DenseBatch> loss = (batch, theta, gradient) ->
        net.backprop(theta, batch, gradient).loss();
    BatchSum<DenseBatch> sum = BatchSum.of(loss, net.parameterCount())
        .withScale(1.0 / data.numExamples()).withRegularizer(Regularizer.l2(1e-3));
    List<DenseBatch> batches = DenseBatch.fromDataset(data, 30);
    double[] theta0 = net.initialParameters(11);
    LbfgsOptions options = LbfgsOptions.defaults().withMaxIterations(8);
    LbfgsResult serial = Lbfgs.minimize(sum, batches, theta0, options,
        new DataParallelLayout(3, 4, 1), IterationListener.none());
    StagedBatches<DenseBatch> staged = StagedBatches.write(batches, DenseBatchCoder.of(),
        tmp.resolve("batches").toString(), 4);
    LbfgsResult flink = FlinkLbfgs.minimize(sum, staged, theta0, options, 3, "[local]", 2,
        tmp.resolve("work").toString());
    assertEquals(8, serial.iterations());
    assertArrayEquals(serial.x(), flink.x(), 0.0);
    assertEquals(serial.value(), flink.value(), 0.0);
    assertEquals(serial.evaluations(), flink.evaluations());
    assertTrue(flink.stopReason() == serial.stopReason());
  }
}
