package org.lbfgsbeam.core.nn;

/**
 * The element-wise nonlinearity &sigma; of a hidden layer, a = &sigma;(z).
 *
 * <p>Each derivative is expressed from the activation's <b>output</b> a = &sigma;(z), not from z, so
 * backprop needs only the stored activations:
 * <table>
 *   <caption>Activations and their derivatives</caption>
 *   <tr><th></th><th>&sigma;(z)</th><th>&sigma;'(z) as a function of a = &sigma;(z)</th></tr>
 *   <tr><td>{@link #RELU}</td><td>max(0, z)</td><td>1 if a &gt; 0, else 0 (so ReLU'(0) = 0)</td></tr>
 *   <tr><td>{@link #TANH}</td><td>tanh z</td><td>1 &minus; a&sup2;</td></tr>
 *   <tr><td>{@link #SIGMOID}</td><td>1 / (1 + e<sup>&minus;z</sup>)</td><td>a (1 &minus; a)</td></tr>
 *   <tr><td>{@link #IDENTITY}</td><td>z</td><td>1</td></tr>
 * </table>
 * ReLU's a &gt; 0 holds exactly when z &gt; 0, so the table is the derivative of &sigma; at z.
 */
public enum Activation {
  /** max(0, z); NaN stays NaN. */
  RELU {
    @Override
    void applyRange(double[] z, int from, int to) {
      for (int i = from; i < to; i++) {
        if (z[i] < 0) {
          z[i] = 0.0;
        }
      }
    }

    @Override
    void multiplyByDerivativeRange(double[] a, double[] d, int from, int to) {
      for (int i = from; i < to; i++) {
        if (!(a[i] > 0)) {
          d[i] = 0.0;
        }
      }
    }
  },
  /** tanh z. */
  TANH {
    @Override
    void applyRange(double[] z, int from, int to) {
      for (int i = from; i < to; i++) {
        z[i] = Math.tanh(z[i]);
      }
    }

    @Override
    void multiplyByDerivativeRange(double[] a, double[] d, int from, int to) {
      for (int i = from; i < to; i++) {
        d[i] *= 1 - a[i] * a[i];
      }
    }
  },
  /** The logistic function 1 / (1 + e<sup>&minus;z</sup>). */
  SIGMOID {
    @Override
    void applyRange(double[] z, int from, int to) {
      for (int i = from; i < to; i++) {
        // exp(-z) overflows to +Inf for z < -709, giving 1/Inf = 0: the right limit.
        z[i] = 1 / (1 + Math.exp(-z[i]));
      }
    }

    @Override
    void multiplyByDerivativeRange(double[] a, double[] d, int from, int to) {
      for (int i = from; i < to; i++) {
        d[i] *= a[i] * (1 - a[i]);
      }
    }
  },
  /** z. */
  IDENTITY {
    @Override
    void applyRange(double[] z, int from, int to) {}

    @Override
    void multiplyByDerivativeRange(double[] a, double[] d, int from, int to) {}
  };

  /** Replaces every z<sub>i</sub> of {@code z} by &sigma;(z<sub>i</sub>). */
  public void applyInPlace(double[] z) {
    applyRange(z, 0, z.length);
  }

  /**
   * d<sub>i</sub> &larr; d<sub>i</sub> &middot; &sigma;'(z<sub>i</sub>), with &sigma;' computed from the
   * activation a<sub>i</sub> = &sigma;(z<sub>i</sub>) (see the class comment): turns &part;L/&part;a
   * into &part;L/&part;z.
   *
   * @param a the activations &sigma;(z), as {@link #applyInPlace} left them
   * @param d &part;L/&part;a on entry, &part;L/&part;z on exit; the length of {@code a}
   */
  public void multiplyByDerivative(double[] a, double[] d) {
    if (a.length != d.length) {
      throw new IllegalArgumentException(String.format(
          "activations and gradients must have the same length, but had %d and %d", a.length,
          d.length));
    }
    multiplyByDerivativeRange(a, d, 0, a.length);
  }

  /** &sigma;(z) of one value. */
  public double apply(double z) {
    double[] one = {z};
    applyRange(one, 0, 1);
    return one[0];
  }

  /** &sigma;'(z) from a = &sigma;(z), as {@link #multiplyByDerivative} uses it. */
  public double derivativeFromOutput(double a) {
    double[] d = {1.0};
    multiplyByDerivativeRange(new double[] {a}, d, 0, 1);
    return d[0];
  }

  abstract void applyRange(double[] z, int from, int to);

  abstract void multiplyByDerivativeRange(double[] a, double[] d, int from, int to);
}
