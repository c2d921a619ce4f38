package org.lbfgsbeam.core.kfac;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;

/** Empirical and true Fisher statistics of a shard. */
class KfacBatchStatisticsTest {

  @ParameterizedTest
  @EnumSource(Loss.class)
  void trueFisherIsSeededSharesAAndTheGradientAndDiffersInG(Loss loss) {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {4, 6, 3}, Activation.TANH, loss);
    DenseBatch batch = KfacTestData.batch(net, 50, 11);
    double[] theta = net.initialParameters(12);
    double[] gEmp = new double[theta.length];
    double[] gTrue1 = new double[theta.length];
    double[] gTrue2 = new double[theta.length];
    double[] gTrue3 = new double[theta.length];
    KfacBatchStatistics emp =
        KfacBatchStatistics.compute(net, theta, batch, gEmp, FisherType.EMPIRICAL, 5);
    KfacBatchStatistics t1 = KfacBatchStatistics.compute(net, theta, batch, gTrue1, FisherType.TRUE, 5);
    KfacBatchStatistics t2 = KfacBatchStatistics.compute(net, theta, batch, gTrue2, FisherType.TRUE, 5);
    KfacBatchStatistics t3 = KfacBatchStatistics.compute(net, theta, batch, gTrue3, FisherType.TRUE, 6);
    // The gradient and the loss are the true labels' in every case.
    assertArrayEquals(gEmp, gTrue1, 0.0);
    assertArrayEquals(gEmp, gTrue3, 0.0);
    assertEquals(emp.loss(), t1.loss(), 0.0);
    for (int l = 0; l < net.layers(); l++) {
      assertArrayEquals(t1.factors(l).a(), t2.factors(l).a(), 0.0, "same seed, A_" + l);
      assertArrayEquals(t1.factors(l).g(), t2.factors(l).g(), 0.0, "same seed, G_" + l);
      assertArrayEquals(emp.factors(l).a(), t1.factors(l).a(), 0.0, "A does not depend on labels");
      assertTrue(KfacTestData.maxRelativeError(emp.factors(l).g(), t1.factors(l).g(), 1e-3) > 1e-2,
          "true-Fisher G_" + l + " differs from the empirical one");
      assertTrue(KfacTestData.maxRelativeError(t1.factors(l).g(), t3.factors(l).g(), 1e-3) > 1e-3,
          "another seed, another G_" + l);
    }
  }
}
