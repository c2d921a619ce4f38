package org.lbfgsbeam.core.kfac;

/** Small helpers on square row-major matrices for the K-FAC preconditioners. */
final class SymmetricMatrices {
  private SymmetricMatrices() {}

  /**
   * (X + X<sup>T</sup>)/2 of the n&times;n row-major X, plus {@code shift} on the diagonal, as a
   * new row-major array. Accumulated factors are symmetric only up to rounding (a dgemm does not
   * mirror its triangles); the factorisations want exact symmetry.
   */
  static double[] symmetrized(double[] x, int n, double shift) {
    double[] s = new double[n * n];
    for (int i = 0; i < n; i++) {
      s[i * n + i] = x[i * n + i] + shift;
      for (int j = 0; j < i; j++) {
        double v = 0.5 * (x[i * n + j] + x[j * n + i]);
        s[i * n + j] = v;
        s[j * n + i] = v;
      }
    }
    return s;
  }

  /** tr(X) of the n&times;n row-major X. */
  static double trace(double[] x, int n) {
    double t = 0;
    for (int i = 0; i < n; i++) {
      t += x[i * n + i];
    }
    return t;
  }

  /** Whether every entry is finite. */
  static boolean allFinite(double[] x) {
    for (double v : x) {
      if (!Double.isFinite(v)) {
        return false;
      }
    }
    return true;
  }

  /** X rounded to single precision, as a new array. */
  static float[] toFloat(double[] x) {
    float[] f = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      f[i] = (float) x[i];
    }
    return f;
  }

  /** X widened to double precision (exactly), as a new array. */
  static double[] toDouble(float[] x) {
    double[] d = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      d[i] = x[i];
    }
    return d;
  }

  /** X<sup>T</sup> of the n&times;n row-major X, as a new array. */
  static double[] transposed(double[] x, int n) {
    double[] t = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        t[j * n + i] = x[i * n + j];
      }
    }
    return t;
  }
}
