package org.lbfgsbeam.core.nn;

import java.util.SplittableRandom;
import org.lbfgsbeam.core.Checks;

/**
 * The per-example loss &ell;(z, y) on the network's output layer z (K values, identity activation),
 * summed over the rows of a batch, with its gradient &part;&ell;/&part;z = dZ<sub>L</sub>, the start of
 * backprop.
 */
public enum Loss {
  /**
   * Softmax cross-entropy for integer class labels y &isin; [0, K):
   * <pre>
   *   &ell;(z, y) = log &Sigma;<sub>k</sub> exp(z<sub>k</sub>) &minus; z<sub>y</sub>
   *             = m + log &Sigma;<sub>k</sub> exp(z<sub>k</sub> &minus; m) &minus; z<sub>y</sub>,   m = max<sub>k</sub> z<sub>k</sub>
   *   &part;&ell;/&part;z<sub>k</sub> = p<sub>k</sub> &minus; [k = y],   p<sub>k</sub> = exp(z<sub>k</sub> &minus; m) / &Sigma;<sub>j</sub> exp(z<sub>j</sub> &minus; m)
   * </pre>
   * Subtracting the max keeps every exponent &le; 0, so nothing overflows and the largest term is 1
   * (the sum is in [1, K]). Its scores are the probabilities p. Needs K &ge; 2.
   */
  SOFTMAX_CROSS_ENTROPY {
    @Override
    double valueAndOutputGradient(double[] z, int rows, int k, DenseBatch batch, double[] dz) {
      int[] labels = batch.labels();
      double sum = 0;
      for (int i = 0; i < rows; i++) {
        int off = i * k;
        int y = labels[i];
        sum += softmaxRow(z, off, k, dz) - z[off + y];
        dz[off + y] -= 1;
      }
      return sum;
    }

    @Override
    void scoresInPlace(double[] z, int rows, int k) {
      for (int i = 0; i < rows; i++) {
        softmaxRow(z, i * k, k, z);
      }
    }

    /** y&#770; ~ Categorical(p) by inversion of one uniform per row; dz = p &minus; e<sub>y&#770;</sub>. */
    @Override
    void sampleOutputGradient(double[] z, int rows, int k, SplittableRandom random, double[] dz) {
      for (int i = 0; i < rows; i++) {
        int off = i * k;
        softmaxRow(z, off, k, dz);
        double u = random.nextDouble();
        int y = k - 1; // if rounding leaves the cumulative sum below u, the last class
        double cumulative = 0;
        for (int c = 0; c < k - 1; c++) {
          cumulative += dz[off + c];
          if (u < cumulative) {
            y = c;
            break;
          }
        }
        dz[off + y] -= 1;
      }
    }

    @Override
    void checkBatch(DenseBatch batch, int k) {
      if (!batch.hasLabels()) {
        throw new IllegalArgumentException(String.format(
            "softmax cross-entropy needs class labels, but the batch has real targets (%d per row)",
            batch.outputs()));
      }
      int[] labels = batch.labels();
      for (int i = 0; i < labels.length; i++) {
        if (labels[i] >= k) {
          throw new IllegalArgumentException(String.format(
              "labels[%d] must be a class index in [0, %d) (the network's outputs), but was: %d",
              i, k, labels[i]));
        }
      }
    }

    @Override
    void checkOutputs(int k) {
      if (k < 2) {
        throw new IllegalArgumentException(String.format(
            "softmax cross-entropy needs at least 2 outputs (classes), but the network has: %d", k));
      }
    }
  },

  /**
   * Squared error for real targets t &isin; R<sup>K</sup>:
   * <pre>
   *   &ell;(z, t) = &frac12; &Vert;z &minus; t&Vert;&sup2;,   &part;&ell;/&part;z = z &minus; t
   * </pre>
   * Its scores are the raw outputs z.
   */
  SQUARED_ERROR {
    @Override
    double valueAndOutputGradient(double[] z, int rows, int k, DenseBatch batch, double[] dz) {
      double[] t = batch.targets();
      double sum = 0;
      for (int i = 0; i < rows; i++) {
        int off = i * k;
        double row = 0;
        for (int c = 0; c < k; c++) {
          double r = z[off + c] - t[off + c];
          dz[off + c] = r;
          row += r * r;
        }
        sum += 0.5 * row;
      }
      return sum;
    }

    @Override
    void scoresInPlace(double[] z, int rows, int k) {}

    /**
     * t&#770; = z + &epsilon;, &epsilon; ~ N(0, I) (Marsaglia's polar method, row by row), so dz = z
     * &minus; t&#770; = &minus;&epsilon;.
     */
    @Override
    void sampleOutputGradient(double[] z, int rows, int k, SplittableRandom random, double[] dz) {
      double[] spare = {Double.NaN};
      for (int j = 0; j < rows * k; j++) {
        dz[j] = -MultilayerPerceptron.nextGaussian(random, spare);
      }
    }

    @Override
    void checkBatch(DenseBatch batch, int k) {
      if (batch.hasLabels()) {
        throw new IllegalArgumentException(
            "squared error needs real targets, but the batch has class labels");
      }
      if (batch.outputs() != k) {
        throw new IllegalArgumentException(String.format(
            "the batch has %d targets per row, but the network has %d outputs", batch.outputs(),
            k));
      }
    }

    @Override
    void checkOutputs(int k) {}
  };

  /**
   * The summed loss &Sigma;<sub>i</sub> &ell;(z<sub>i</sub>, y<sub>i</sub>) over the batch's rows, with
   * dZ<sub>L</sub> = &part;/&part;z written (not added) into {@code dz}.
   *
   * @param z the output layer, rows&times;k row-major
   * @param dz rows&times;k row-major, overwritten
   */
  /**
   * The loss summed over the batch's rows from the network's outputs z (rows&times;K row-major, not
   * modified), in the same stable form as training uses (log-sum-exp for cross-entropy, so a
   * probability that rounds to 0 gives a large finite loss, never infinity).
   */
  public double value(double[] z, int rows, int k, DenseBatch batch) {
    return valueAndOutputGradient(z, rows, k, batch, new double[z.length]);
  }

  abstract double valueAndOutputGradient(double[] z, int rows, int k, DenseBatch batch,
      double[] dz);

  /**
   * The output gradient &part;&ell;(z<sub>i</sub>, y&#770;<sub>i</sub>)/&part;z of each row at a target
   * y&#770;<sub>i</sub> drawn from the model's own predictive distribution: for softmax cross-entropy
   * y&#770; ~ Categorical(softmax(z)), so dz = p &minus; e<sub>y&#770;</sub>; for squared error t&#770; ~
   * N(z, I), the Gaussian whose negative log-likelihood is &frac12;&Vert;z &minus; t&Vert;&sup2; up to a
   * constant, so dz = &minus;&epsilon; with &epsilon; ~ N(0, I). Since E<sub>y&#770;</sub>[dz dz<sup>T</sup>]
   * is the Fisher of the output distribution (softmax: diag(p) &minus; pp<sup>T</sup>; squared error: I),
   * these gradients, back-propagated with {@link MultilayerPerceptron#backward}, give the true-Fisher
   * factor G of K-FAC (Martens &amp; Grosse, ICML 2015, &sect;5), where the labels' gradient gives the
   * empirical Fisher. The draws are consumed row by row, so a seed fixes the bits.
   *
   * @param z the output layer Z<sub>L&minus;1</sub>, rows&times;k row-major, finite
   * @param dz rows&times;k row-major, overwritten
   */
  public void sampledOutputGradient(double[] z, int rows, int k, SplittableRandom random,
      double[] dz) {
    Checks.checkArgument(rows >= 1 && k >= 1, "rows and k must be positive, but were: %s, %s",
        rows, k);
    Checks.checkArgument(z != null && z.length == (long) rows * k,
        "z must hold rows x k = %s x %s values, but had: %s", rows, k,
        z == null ? "null" : z.length);
    Checks.checkArgument(dz != null && dz.length == z.length,
        "dz must hold %s values, but had: %s", z.length, dz == null ? "null" : dz.length);
    Checks.checkArgument(random != null, "random must not be null");
    checkOutputs(k);
    sampleOutputGradient(z, rows, k, random, dz);
  }

  /** {@link #sampledOutputGradient}, arguments checked. */
  abstract void sampleOutputGradient(double[] z, int rows, int k, SplittableRandom random,
      double[] dz);

  /** Turns the output layer z (rows&times;k) into scores in place. */
  abstract void scoresInPlace(double[] z, int rows, int k);

  /** Checks that {@code batch} has the kind of targets this loss reads, for k outputs. */
  abstract void checkBatch(DenseBatch batch, int k);

  /** Checks that this loss works with k outputs. */
  abstract void checkOutputs(int k);

  /**
   * The softmax of row z[off, off + k) written to out[off, off + k) (out may be z), with the max
   * subtracted first; returns log &Sigma;<sub>c</sub> exp(z<sub>c</sub>) = m + log &Sigma; exp(z<sub>c</sub>
   * &minus; m).
   */
  static double softmaxRow(double[] z, int off, int k, double[] out) {
    double max = z[off];
    for (int c = 1; c < k; c++) {
      max = Math.max(max, z[off + c]);
    }
    double s = 0;
    for (int c = 0; c < k; c++) {
      double e = Math.exp(z[off + c] - max);
      out[off + c] = e;
      s += e;
    }
    double inv = 1 / s;
    for (int c = 0; c < k; c++) {
      out[off + c] *= inv;
    }
    return max + Math.log(s);
  }
}
