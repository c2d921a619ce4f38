package org.lbfgsbeam.core.kfac;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;

/** Seeded batches for the K-FAC tests. */
final class KfacTestData {
  private KfacTestData() {}

  /** n values uniform in [-scale, scale). */
  static double[] uniform(int n, double scale, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = scale * (2 * r.nextDouble() - 1);
    }
    return a;
  }

  /** A batch of {@code rows} random rows for {@code net}: labels or targets by its loss. */
  static DenseBatch batch(MultilayerPerceptron net, int rows, long seed) {
    int[] sizes = net.layerSizes();
    int d = sizes[0];
    int k = sizes[sizes.length - 1];
    double[] x = uniform(rows * d, 1.0, seed);
    if (net.loss() == Loss.SOFTMAX_CROSS_ENTROPY) {
      SplittableRandom r = new SplittableRandom(seed + 1);
      int[] labels = new int[rows];
      Arrays.setAll(labels, i -> r.nextInt(k));
      return DenseBatch.classification(d, x, labels);
    }
    return DenseBatch.regression(d, x, k, uniform(rows * k, 1.0, seed + 1));
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
