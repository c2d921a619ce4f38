package org.lbfgsbeam.core.kfac;

import java.util.Arrays;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.core.nn.NnTestData;

/** Seeded batches for the K-FAC tests. */
final class KfacTestData {
  private KfacTestData() {}

  /** n values uniform in [-scale, scale): {@link NnTestData#uniform}. */
  static double[] uniform(int n, double scale, long seed) {
    return NnTestData.uniform(n, scale, seed);
  }

  /** A batch of {@code rows} random rows for {@code net}: {@link NnTestData#batch}. */
  static DenseBatch batch(MultilayerPerceptron net, int rows, long seed) {
    return NnTestData.batch(net, rows, seed);
  }

  /** Rows [from, to) of a batch, as a batch of their own (the shard of a split). */
  static DenseBatch rows(DenseBatch batch, int from, int to) {
    int d = batch.features();
    double[] x = Arrays.copyOfRange(batch.x(), from * d, to * d);
    if (batch.hasLabels()) {
      return DenseBatch.classification(d, x, Arrays.copyOfRange(batch.labels(), from, to));
    }
    int k = batch.outputs();
    return DenseBatch.regression(d, x, k, Arrays.copyOfRange(batch.targets(), from * k, to * k));
  }

  /** max |x - y| / max(|x|, |y|, floor) over the entries. */
  static double maxRelativeError(double[] x, double[] y, double floor) {
    if (x.length != y.length) {
      throw new AssertionError("lengths " + x.length + " and " + y.length);
    }
    double worst = 0;
    for (int j = 0; j < x.length; j++) {
      double scale = Math.max(Math.max(Math.abs(x[j]), Math.abs(y[j])), floor);
      worst = Math.max(worst, Math.abs(x[j] - y[j]) / scale);
    }
    return worst;
  }
}
