package org.lbfgsbeam.core.kfac;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;

/**
 * Both preconditioners against a dense LU solve of the explicit Kronecker system (row-major vec:
 * (G &otimes; A)[(o, i), (p, j)] = G[o][p] A[i][j]), on factors from a real batch of a small layer.
 */
class KfacLayerPreconditionerTest {
  private static final double REL_TOL = 1e-9;

  /** Averaged factors and the augmented gradient of layer 0 of a 3 -> 4 -> 3 network. */
  private static final class Layer {
    final int dimA;
    final int dimG;
    final double[] a;
    final double[] g;
    final double[] gradient;

    Layer(Loss loss) {
      MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {3, 4, 3}, Activation.TANH, loss);
      DenseBatch batch = KfacTestData.batch(net, 40, 21);
      double[] theta = net.initialParameters(22);
      double[] grad = new double[theta.length];
      KfacBatchStatistics s =
          KfacBatchStatistics.compute(net, theta, batch, grad, FisherType.EMPIRICAL, 0);
      KroneckerFactors f = s.factors(0);
      dimA = f.inputs() + 1;
      dimG = f.outputs();
      a = f.meanA();
      g = f.meanG();
      gradient = AugmentedLayout.gather(net, 0, grad);
    }
  }

  /** The row-major Kronecker product of G (dimG^2) and A (dimA^2), plus shift on the diagonal. */
  private static double[][] kronecker(double[] g, int dimG, double[] a, int dimA, double shift) {
    int n = dimG * dimA;
    double[][] k = new double[n][n];
    for (int o = 0; o < dimG; o++) {
      for (int i = 0; i < dimA; i++) {
        for (int p = 0; p < dimG; p++) {
          for (int j = 0; j < dimA; j++) {
            k[o * dimA + i][p * dimA + j] = g[o * dimG + p] * a[i * dimA + j];
          }
        }
      }
    }
    for (int r = 0; r < n; r++) {
      k[r][r] += shift;
    }
    return k;
  }

  private static double[] denseSolve(double[][] k, double[] rhs) {
    return new LUDecomposition(new Array2DRowRealMatrix(k)).getSolver()
        .solve(new ArrayRealVector(rhs)).toArray();
  }

  private static double[] plusDiagonal(double[] x, int n, double shift) {
    double[] y = x.clone();
    for (int i = 0; i < n; i++) {
      y[i * n + i] += shift;
    }
    return y;
  }

  @ParameterizedTest
  @EnumSource(Loss.class)
  void tikhonovEqualsTheDenseSolveWithTheDampedKroneckerProduct(Loss loss) {
    Layer x = new Layer(loss);
    for (double gamma : new double[] {1e-3, 0.1, 10}) {
      TikhonovPreconditioner p = TikhonovPreconditioner.of(x.a, x.dimA, x.g, x.dimG, gamma);
      assertNotNull(p);
      double pi = Math.sqrt((SymmetricMatrices.trace(x.a, x.dimA) / x.dimA)
          / (SymmetricMatrices.trace(x.g, x.dimG) / x.dimG));
      double[][] k = kronecker(plusDiagonal(x.g, x.dimG, Math.sqrt(gamma) / pi), x.dimG,
          plusDiagonal(x.a, x.dimA, pi * Math.sqrt(gamma)), x.dimA, 0);
      double[] expected = denseSolve(k, x.gradient);
      double err = KfacTestData.maxRelativeError(expected, p.apply(x.gradient), 1e-8);
      assertTrue(err < REL_TOL, "gamma " + gamma + ": relative error " + err);
    }
  }

  @ParameterizedTest
  @EnumSource(Loss.class)
  void eigenEqualsTheDenseSolveWithGKroneckerAPlusGammaI(Loss loss) {
    Layer x = new Layer(loss);
    for (double gamma : new double[] {1e-3, 0.1, 10}) {
      EigenPreconditioner p = EigenPreconditioner.of(x.a, x.dimA, x.g, x.dimG, gamma);
      assertNotNull(p);
      double[] expected = denseSolve(kronecker(x.g, x.dimG, x.a, x.dimA, gamma), x.gradient);
      double err = KfacTestData.maxRelativeError(expected, p.apply(x.gradient), 1e-8);
      assertTrue(err < REL_TOL, "gamma " + gamma + ": relative error " + err);
    }
  }

  /** A random symmetric positive definite n x n matrix: M M^T / n + 0.1 I. */
  private static double[] spd(int n, java.util.Random r) {
    double[] m = new double[n * n];
    for (int i = 0; i < m.length; i++) {
      m[i] = r.nextGaussian();
    }
    double[] s = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double v = 0;
        for (int k = 0; k < n; k++) {
          v += m[i * n + k] * m[j * n + k];
        }
        s[i * n + j] = v / n + (i == j ? 0.1 : 0);
      }
    }
    return s;
  }

  /** G V A (dimG x dimA row-major) by plain loops. */
  private static double[] sandwich(double[] g, int dimG, double[] v, double[] a, int dimA) {
    double[] gv = new double[dimG * dimA];
    for (int o = 0; o < dimG; o++) {
      for (int p = 0; p < dimG; p++) {
        for (int i = 0; i < dimA; i++) {
          gv[o * dimA + i] += g[o * dimG + p] * v[p * dimA + i];
        }
      }
    }
    double[] out = new double[dimG * dimA];
    for (int o = 0; o < dimG; o++) {
      for (int i = 0; i < dimA; i++) {
        for (int j = 0; j < dimA; j++) {
          out[o * dimA + j] += gv[o * dimA + i] * a[i * dimA + j];
        }
      }
    }
    return out;
  }

  private static double relativeNorm(double[] x, double[] y) {
    double d = 0;
    double n = 0;
    for (int i = 0; i < x.length; i++) {
      d += (x[i] - y[i]) * (x[i] - y[i]);
      n += y[i] * y[i];
    }
    return Math.sqrt(d / n);
  }

  /**
   * A layer of 150 outputs is preconditioned in three chunks of rows ({@link RowChunks}): V must
   * still solve the damped system, checked by its residual (Tikhonov: G_g V A_g = X; eigen: G V A +
   * gamma V = X); in single precision to float's accuracy; and the bits must not depend on the
   * threads (a one-thread pool against the common pool).
   */
  @ParameterizedTest
  @EnumSource(KfacInversion.class)
  void aWideLayerInChunksSolvesTheDampedSystemWithBitsIndependentOfThreads(
      KfacInversion method) throws Exception {
    java.util.Random r = new java.util.Random(5);
    int dimG = 150;
    int dimA = 7;
    assertTrue(RowChunks.count(dimG) > 2);
    double[] g = spd(dimG, r);
    double[] a = spd(dimA, r);
    double[] x = new double[dimG * dimA];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextGaussian();
    }
    double gamma = 0.01;
    double[] v = method.prepare(a, dimA, g, dimG, gamma).apply(x);
    double[] residual;
    if (method == KfacInversion.EIGEN) {
      residual = sandwich(g, dimG, v, a, dimA);
      for (int i = 0; i < residual.length; i++) {
        residual[i] += gamma * v[i];
      }
    } else {
      double pi = Math.sqrt((SymmetricMatrices.trace(a, dimA) / dimA)
          / (SymmetricMatrices.trace(g, dimG) / dimG));
      residual = sandwich(plusDiagonal(g, dimG, Math.sqrt(gamma) / pi), dimG, v,
          plusDiagonal(a, dimA, pi * Math.sqrt(gamma)), dimA);
    }
    assertTrue(relativeNorm(residual, x) < 1e-12, "residual " + relativeNorm(residual, x));

    KfacLayerPreconditioner single = method.prepare(a, dimA, g, dimG, gamma, true);
    double[] vf = single.apply(x);
    assertTrue(relativeNorm(vf, v) < 1e-5, "single vs double " + relativeNorm(vf, v));
    assertTrue(relativeNorm(vf, v) > 0, "single precision must round");

    KfacLayerPreconditioner p = method.prepare(a, dimA, g, dimG, gamma);
    java.util.concurrent.ForkJoinPool one = new java.util.concurrent.ForkJoinPool(1);
    try {
      assertArrayEquals(v, one.submit(() -> p.apply(x)).get(), 0.0);
      assertArrayEquals(vf, one.submit(() -> single.apply(x)).get(), 0.0);
    } finally {
      one.shutdown();
    }
  }

  @ParameterizedTest
  @EnumSource(KfacInversion.class)
  void nonFiniteFactorsFallBackToTheGradientAndAreFlagged(KfacInversion method) {
    Layer x = new Layer(Loss.SOFTMAX_CROSS_ENTROPY);
    double[] badA = x.a.clone();
    badA[1] = Double.NaN;
    double[] badG = x.g.clone();
    badG[0] = Double.POSITIVE_INFINITY;
    assertNull(method.prepare(badA, x.dimA, x.g, x.dimG, 1e-3));
    assertNull(method.prepare(x.a, x.dimA, badG, x.dimG, 1e-3));
    LayerDirection d = LayerDirection.of(method.prepare(badA, x.dimA, x.g, x.dimG, 1e-3), x.gradient);
    assertTrue(d.fellBack());
    assertArrayEquals(x.gradient, d.values(), 0.0);
    LayerDirection ok = LayerDirection.of(method.prepare(x.a, x.dimA, x.g, x.dimG, 1e-3), x.gradient);
    assertFalse(ok.fellBack());
  }

  @Test
  void aFactorThatIsNotPositiveDefiniteFallsBackUnderTikhonov() {
    // A = -I: tr(A) < 0 gives no pi; A = diag(-5, 1) with G = I: pi = sqrt(-2), NaN.
    double[] a = {-5, 0, 0, 1};
    double[] g = {1};
    assertNull(TikhonovPreconditioner.of(a, 2, g, 1, 1e-3));
    // tr(A) > 0 but A + pi sqrt(gamma) I indefinite: diag(-1, 3), pi = 1, shift 0.03.
    assertNull(TikhonovPreconditioner.of(new double[] {-1, 0, 0, 3}, 2, g, 1, 1e-3));
    LayerDirection d = LayerDirection.of(null, new double[] {1, 2});
    assertTrue(d.fellBack());
  }

  @Test
  void nonFiniteDirectionFallsBack() {
    KfacLayerPreconditioner blowsUp = new KfacLayerPreconditioner() {
      @Override
      public int dimA() {
        return 2;
      }

      @Override
      public int dimG() {
        return 1;
      }

      @Override
      public double[] apply(double[] gradient) {
        return new double[] {Double.NaN, 0};
      }
    };
    LayerDirection d = LayerDirection.of(blowsUp, new double[] {3, 4});
    assertTrue(d.fellBack());
    assertArrayEquals(new double[] {3, 4}, d.values(), 0.0);
  }
}
