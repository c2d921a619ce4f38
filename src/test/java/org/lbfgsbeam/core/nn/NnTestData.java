package org.lbfgsbeam.core.nn;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.lbfgsbeam.core.objective.DifferentiableFunction;

/** Seeded random batches and points for the network tests (and the K-FAC tests, which use them). */
public final class NnTestData {
  private NnTestData() {}

  /** n values uniform in [-scale, scale). */
  public static double[] uniform(int n, double scale, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = scale * (2 * r.nextDouble() - 1);
    }
    return a;
  }

  /** A batch of {@code rows} rows for {@code net}: labels for cross-entropy, targets otherwise. */
  public static DenseBatch batch(MultilayerPerceptron net, int rows, long seed) {
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

  /**
   * A point &theta; (the network's initialisation plus random biases) at which no hidden
   * pre-activation of {@code batch} is within {@code margin} of ReLU's kink at 0: the first of seeds
   * {@code seed, seed + 1, ...} that qualifies (the same every run). Any point qualifies for smooth
   * activations.
   */
  static double[] pointAwayFromKinks(MultilayerPerceptron net, DenseBatch batch, double margin,
      long seed) {
    for (long s = seed; s < seed + 1000; s++) {
      double[] theta = net.initialParameters(s);
      double[] noise = uniform(theta.length, 0.5, s + 7919);
      for (int l = 0; l < net.layers(); l++) {
        for (int o = 0; o < net.outputs(l); o++) {
          theta[net.biasOffset(l) + o] = noise[net.biasOffset(l) + o];
        }
      }
      if (net.hiddenActivation() != Activation.RELU || minHiddenPreActivation(net, theta, batch)
          >= margin) {
        return theta;
      }
    }
    throw new AssertionError("no seed in [" + seed + ", " + (seed + 1000) + ") keeps the hidden"
        + " pre-activations " + margin + " away from 0");
  }

  /** min |Z<sub>l</sub>| over the hidden layers (+&infin; without hidden layers). */
  static double minHiddenPreActivation(MultilayerPerceptron net, double[] theta,
      DenseBatch batch) {
    double min = Double.POSITIVE_INFINITY;
    Forward f = net.forward(theta, batch);
    // Hidden pre-activations are recomputed from A_l: Z_l = A_l W_l^T + b_l (naive; small nets).
    for (int l = 0; l + 1 < net.layers(); l++) {
      double[] a = f.input(l);
      int in = net.inputs(l);
      int out = net.outputs(l);
      for (int i = 0; i < batch.rows(); i++) {
        for (int o = 0; o < out; o++) {
          double z = theta[net.biasOffset(l) + o];
          for (int j = 0; j < in; j++) {
            z += a[i * in + j] * theta[net.weightOffset(l) + o * in + j];
          }
          min = Math.min(min, Math.abs(z));
        }
      }
    }
    return min;
  }

  /** The objective on one batch as a function of &theta; (gradient zero-filled first). */
  static DifferentiableFunction onBatch(MlpObjective objective, DenseBatch batch) {
    return (theta, g) -> {
      Arrays.fill(g, 0.0);
      return objective.valueAndGradient(batch, theta, g);
    };
  }
}
