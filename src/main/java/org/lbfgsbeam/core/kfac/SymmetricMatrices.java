package org.lbfgsbeam.core.kfac;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;

/** Small helpers on square row-major matrices for the K-FAC preconditioners. */
final class SymmetricMatrices {
  private SymmetricMatrices() {}

  /**
   * (X + X<sup>T</sup>)/2 of the n&times;n row-major X, plus {@code shift} on the diagonal, as a
   * commons-math matrix. Accumulated factors are symmetric only up to rounding (a dgemm does not
   * mirror its triangles); the factorisations want exact symmetry.
   */
  static RealMatrix symmetrized(double[] x, int n, double shift) {
    double[][] s = new double[n][n];
    for (int i = 0; i < n; i++) {
      s[i][i] = x[i * n + i] + shift;
      for (int j = 0; j < i; j++) {
        double v = 0.5 * (x[i * n + j] + x[j * n + i]);
        s[i][j] = v;
        s[j][i] = v;
      }
    }
    return new Array2DRowRealMatrix(s, false);
  }

  /** The n&times;n matrix m as a row-major array. */
  static double[] rowMajor(RealMatrix m) {
    int r = m.getRowDimension();
    int c = m.getColumnDimension();
    double[] out = new double[r * c];
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < c; j++) {
        out[i * c + j] = m.getEntry(i, j);
      }
    }
    return out;
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
}
