package org.lbfgsbeam.transforms;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Softmax prediction the plain way, for tests: W whole in memory (K&times;D), margins
 * z<sub>k</sub> = &Sigma;<sub>p</sub> x<sub>p</sub> W[k][j<sub>p</sub>&minus;1], one log-sum-exp over all K
 * classes with the max shift, classes ranked by margin then class index.
 */
final class NaiveSoftmax {
  private NaiveSoftmax() {}

  static double[] margins(double[][] w, SparseFeatures x) {
    double[] z = new double[w.length];
    for (int k = 0; k < w.length; k++) {
      double s = 0;
      for (int p = 0; p < x.size(); p++) {
        s += x.value(p) * w[k][x.index(p) - 1];
      }
      z[k] = s;
    }
    return z;
  }

  static Prediction predict(long id, double[][] w, int[] labels, SparseFeatures x, int topK) {
    double[] z = margins(w, x);
    double max = Arrays.stream(z).max().getAsDouble();
    double sum = 0;
    for (double zk : z) {
      sum += Math.exp(zk - max);
    }
    double logZ = max + Math.log(sum);
    Integer[] order = IntStream.range(0, z.length).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.<Integer>comparingDouble(k -> -z[k]).thenComparing(k -> k));
    int[] top = new int[topK];
    double[] p = new double[topK];
    for (int i = 0; i < topK; i++) {
      top[i] = labels[order[i]];
      p[i] = Math.exp(z[order[i]] - logZ);
    }
    return Prediction.of(id, top, p);
  }

  /** Null when {@code actual} has the expected id and labels and probabilities within {@code tol}. */
  static String mismatch(Prediction expected, Prediction actual, double tol) {
    if (expected.id() != actual.id()
        || !Arrays.equals(expected.topLabels(), actual.topLabels())) {
      return "expected " + expected + " but was " + actual;
    }
    for (int i = 0; i < expected.size(); i++) {
      if (!(Math.abs(expected.topProbabilities()[i] - actual.topProbabilities()[i]) <= tol)) {
        return "expected " + expected + " but was " + actual + " (probability " + i + ")";
      }
    }
    return null;
  }
}
