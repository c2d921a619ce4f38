package org.lbfgsbeam.core.objective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.objective.LinearModelObjective.Loss;
import org.lbfgsbeam.core.optim.IterationListener;
import org.lbfgsbeam.core.optim.Lbfgs;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsResult;
import org.lbfgsbeam.core.partition.Partitioning;
import org.lbfgsbeam.core.testing.GradientTester;
import org.lbfgsbeam.core.testing.SharedData;

/**
 * {@link LinearModelObjective}: finite-difference gradients for both losses, independence of the
 * feature partitioning, the stable logistic loss, argument checks, and optima from independent
 * solvers (the normal equations; SciPy's softmax optimum in shared/data/REFERENCE.md).
 */
class LinearModelObjectiveTest {
  private static SparseDataset heart;

  @BeforeAll
  static void load() throws IOException {
    heart = LibsvmReader.read(SharedData.file("heart_scale.libsvm"));
  }

  @ParameterizedTest
  @EnumSource(Loss.class)
  void gradientMatchesFiniteDifferencesOnHeartScale(Loss loss) {
    double[] w = randomVector(13, 0.5, 21);
    for (int partitions : new int[] {1, 4}) {
      LinearModelObjective objective = new LinearModelObjective(heart, loss, 0.01, partitions);
      GradientTester.Result r = GradientTester.check(objective, split(w, objective.partitioning()));
      assertEquals(13, r.checked());
      assertTrue(r.maxError() < 1e-6, loss + " P=" + partitions + ": " + r);
    }
  }

  @ParameterizedTest
  @EnumSource(Loss.class)
  void valueAndGradientDoNotDependOnThePartitioning(Loss loss) {
    double[] w = randomVector(13, 0.5, 22);
    double referenceValue = 0;
    double[] reference = null;
    for (int partitions : new int[] {1, 2, 4, 13}) {
      LinearModelObjective objective = new LinearModelObjective(heart, loss, 0.01, partitions);
      double[][] g = new double[partitions][];
      double f = GradientTester.evaluate(objective, split(w, objective.partitioning()), g);
      double[] gradient = concatenate(g);
      if (reference == null) {
        referenceValue = f;
        reference = gradient;
        continue;
      }
      assertEquals(referenceValue, f, 1e-13 * Math.abs(referenceValue), "f at P=" + partitions);
      for (int j = 0; j < 13; j++) {
        assertEquals(reference[j], gradient[j], 1e-13 * Math.abs(reference[j]),
            loss + " g[" + j + "] at P=" + partitions);
      }
    }
  }

  /**
   * At w = 0: f = log 2 for the logistic loss, up to the rounding of a sum of N equal terms and one
   * division (relative error at most N&middot;2<sup>&minus;53</sup>, see SoftmaxObjectiveTest), and
   * f = (1/2N) &Sigma; y&sup2; = 1/2 exactly for labels &plusmn;1 (sums of halves are exact).
   */
  @Test
  void valuesAtZero() {
    for (int partitions : new int[] {1, 4}) {
      double[][] zero = split(new double[13], Partitioning.of(13, 1, partitions));
      double logistic = GradientTester.evaluate(
          new LinearModelObjective(heart, Loss.LOGISTIC, 0.01, partitions), zero, null);
      assertEquals(Math.log(2), logistic, 270 * 0x1p-53 * Math.log(2), "logistic P=" + partitions);
      double squared = GradientTester.evaluate(
          new LinearModelObjective(heart, Loss.SQUARED, 0.01, partitions), zero, null);
      assertEquals(0.5, squared, 0, "squared P=" + partitions);
    }
  }

  /** Least squares regresses on the original labels, not the class indices: (1 + 25)/(2&middot;2). */
  @Test
  void leastSquaresTargetsAreTheOriginalLabels() {
    SparseDataset data = SparseDataset.of(1, new int[] {-1, 5}, new int[] {0, 1, 2},
        new int[] {0, 0}, new double[] {1, 1}, new int[] {0, 1});
    LinearModelObjective objective = new LinearModelObjective(data, Loss.SQUARED, 0, 1);
    double[][] g = new double[1][];
    assertEquals(6.5, GradientTester.evaluate(objective, new double[][] {{0}}, g), 0);
    assertEquals(-2, g[0][0], 0, "g = (1/N) sum x (m - y) = ((0 + 1) + (0 - 5)) / 2");
  }

  /**
   * Two examples x = (1, 1), one of each class, split over two blocks so that the combine adds the
   * partial margins: at w = &plusmn;(5000, 5000) both margins are &plusmn;10<sup>4</sup>, where
   * log(1 + e<sup>m</sup>) overflows if computed naively. Exactly: one example costs 10<sup>4</sup>,
   * the other 0, so f = 5000; the residuals are 0 and &plusmn;1, so g = (&plusmn;0.5, &plusmn;0.5).
   */
  @Test
  void logisticLossIsExactAtHugeMargins() {
    SparseDataset data = SparseDataset.of(2, new int[] {-1, 1}, new int[] {0, 2, 4},
        new int[] {0, 1, 0, 1}, new double[] {1, 1, 1, 1}, new int[] {1, 0});
    LinearModelObjective objective = new LinearModelObjective(data, Loss.LOGISTIC, 0, 2);
    for (double sign : new double[] {1, -1}) {
      double[][] g = new double[2][];
      double f = GradientTester.evaluate(objective,
          new double[][] {{sign * 5000}, {sign * 5000}}, g);
      assertEquals(5000, f, 0, "margin " + sign * 1e4);
      assertEquals(sign * 0.5, g[0][0], 0, "margin " + sign * 1e4);
      assertEquals(sign * 0.5, g[1][0], 0, "margin " + sign * 1e4);
    }
  }

  /**
   * A positive example at margin 40: its loss log(1 + e<sup>&minus;40</sup>) &asymp; 4.2&middot;
   * 10<sup>&minus;18</sup> and residual &minus;&sigma;(&minus;40) keep full relative precision, where
   * log(1 + e<sup>40</sup>) &minus; 40 and &sigma;(40) &minus; 1 would cancel to 0 or an ulp of 1.
   */
  @Test
  void logisticLossKeepsPrecisionForConfidentExamples() {
    SparseDataset data = SparseDataset.of(1, new int[] {0, 1}, new int[] {0, 1}, new int[] {0},
        new double[] {1}, new int[] {1});
    LinearModelObjective objective = new LinearModelObjective(data, Loss.LOGISTIC, 0, 1);
    double[][] g = new double[1][];
    double f = GradientTester.evaluate(objective, new double[][] {{40}}, g);
    double tiny = Math.exp(-40);
    assertEquals(tiny, f, 1e-15 * tiny);
    assertEquals(-tiny, g[0][0], 1e-15 * tiny);
  }

  @Test
  void rejectsBadArguments() {
    assertMessage(() -> new LinearModelObjective(heart, Loss.SQUARED, -1, 1),
        "lambda must be finite and >= 0, but was: -1.0");
    assertMessage(() -> new LinearModelObjective(heart, Loss.LOGISTIC, Double.NaN, 1),
        "lambda must be finite and >= 0, but was: NaN");
    assertMessage(() -> new LinearModelObjective(heart, Loss.LOGISTIC,
        Double.POSITIVE_INFINITY, 1), "lambda must be finite and >= 0, but was: Infinity");
    assertMessage(() -> new LinearModelObjective(heart, Loss.SQUARED, 0.01, 0),
        "partitions must be in [1, 13], but was: 0");
    assertMessage(() -> new LinearModelObjective(heart, Loss.SQUARED, 0.01, 14),
        "partitions must be in [1, 13], but was: 14");
    SparseDataset threeClasses = SparseDataset.of(1, new int[] {1, 2, 3}, new int[] {0, 1, 2, 3},
        new int[] {0, 0, 0}, new double[] {1, 2, 3}, new int[] {0, 1, 2});
    assertMessage(() -> new LinearModelObjective(threeClasses, Loss.LOGISTIC, 0, 1),
        "logistic loss needs exactly 2 classes, but the data has: 3");
    new LinearModelObjective(threeClasses, Loss.SQUARED, 0, 1); // any labels regress
    assertMessage(() -> new LinearModelObjective(null, Loss.SQUARED, 0, 1),
        "data must not be null");
    assertMessage(() -> new LinearModelObjective(heart, null, 0, 1), "loss must not be null");
  }

  /**
   * L-BFGS on least squares reaches the solution of the normal equations
   * (X<sup>T</sup>X/N + &lambda;I) w = X<sup>T</sup>y/N, solved here by a dense Cholesky
   * factorisation, for one and four feature blocks.
   *
   * <p>Why &lambda; = 1: a line search that compares values of f cannot place w closer to w* than
   * about sqrt(2 u f* / &lambda;<sub>min</sub>(A)), where f(w) &minus; f* = (w &minus; w*)<sup>T</sup>
   * A (w &minus; w*)/2 drops below the rounding of f (u = 2<sup>&minus;53</sup>); the search then
   * fails and the run stops with LINE_SEARCH_FAILED whatever the gradient tolerance. heart_scale has
   * &lambda;<sub>min</sub>(X<sup>T</sup>X/N) = 0.055, so &lambda; = 0.01 stops 5&middot;10<sup>&minus;8</sup>
   * to 1.4&middot;10<sup>&minus;7</sup> from w* (measured over P = 1, 2, 4, 13 and both direction
   * methods), and &lambda; = 1 stops within 4.5&middot;10<sup>&minus;9</sup>. At &lambda; = 0.01 the
   * test asserts instead the bound that holds for any point of a quadratic, &Vert;w &minus; w*&Vert;
   * &le; &Vert;&nabla;f(w)&Vert; / &lambda;<sub>min</sub>(A) &le; &Vert;&nabla;f(w)&Vert; / &lambda;.
   */
  @Test
  void leastSquaresReachesTheNormalEquationSolution() {
    LbfgsOptions options =
        LbfgsOptions.defaults().withGradientTolerance(1e-10).withProgressTolerance(0);
    for (double lambda : new double[] {1, 0.01}) {
      double[] exact = normalEquationSolution(heart, lambda);
      for (int partitions : new int[] {1, 4}) {
        LinearModelObjective objective =
            new LinearModelObjective(heart, Loss.SQUARED, lambda, partitions);
        LbfgsResult r = Lbfgs.minimize(objective, split(new double[13], objective.partitioning()),
            options, 1, IterationListener.none());
        double distance = 0;
        for (int j = 0; j < 13; j++) {
          distance += (r.x()[j] - exact[j]) * (r.x()[j] - exact[j]);
        }
        distance = Math.sqrt(distance);
        String where = "lambda=" + lambda + " P=" + partitions + " " + r.stopReason();
        if (lambda == 1) {
          for (int j = 0; j < 13; j++) {
            assertEquals(exact[j], r.x()[j], 1e-8, where + " w[" + j + "]");
          }
        } else {
          double gradientNorm = Math.sqrt(dot(r.gradient(), r.gradient()));
          assertTrue(r.gradientMaxAbs() < 1e-7, where + ": max|g| = " + r.gradientMaxAbs());
          assertTrue(distance <= gradientNorm / lambda,
              where + ": |w - w*| = " + distance + " > |g|/lambda = " + gradientNorm / lambda);
        }
      }
    }
  }

  /**
   * Binary logistic regression with &lambda; has the optimum value of two-class softmax regression
   * with 2&lambda; (softmax's f depends on w<sub>1</sub> &minus; w<sub>0</sub> only, and the
   * regulariser is smallest at w<sub>0</sub> = &minus;w<sub>1</sub>), so SciPy's reference
   * f* = 0.367251896703052 for heart_scale at softmax &lambda; = 0.01 (shared/data/REFERENCE.md) is
   * this objective's optimum at &lambda; = 0.005.
   */
  @Test
  void logisticRegressionReachesTheSoftmaxReferenceOptimum() {
    double reference = 0.367251896703052;
    for (int partitions : new int[] {1, 4}) {
      LinearModelObjective objective =
          new LinearModelObjective(heart, Loss.LOGISTIC, 0.005, partitions);
      LbfgsResult r = Lbfgs.minimize(objective, split(new double[13], objective.partitioning()),
          LbfgsOptions.defaults().withGradientTolerance(1e-10).withProgressTolerance(0), 1,
          IterationListener.none());
      assertEquals(reference, r.value(), 1e-9 * reference, "P=" + partitions + ": " + r);
    }
  }

  /** The tester flags a gradient that is wrong in one coordinate of one block, and names it. */
  @Test
  void gradientTesterFindsAWrongCoordinate() {
    LinearModelObjective objective = new LinearModelObjective(heart, Loss.LOGISTIC, 0.01, 4);
    PartitionedObjective broken = new PartitionedObjective() {
      @Override
      public Partitioning partitioning() {
        return objective.partitioning();
      }

      @Override
      public double[] margins(int block, double[] weights) {
        return objective.margins(block, weights);
      }

      @Override
      public double[] partialStatistics(int block, double[] margins) {
        return objective.partialStatistics(block, margins);
      }

      @Override
      public CombinedStatistics combine(double[][] partials) {
        return objective.combine(partials);
      }

      @Override
      public double gradient(int block, double[] weights, double[] margins, double[] broadcast,
          double[] gradient) {
        double share = objective.gradient(block, weights, margins, broadcast, gradient);
        if (block == 2) {
          gradient[1] *= 1.001;
        }
        return share;
      }
    };
    double[][] w = split(randomVector(13, 0.5, 23), objective.partitioning());
    GradientTester.Result r = GradientTester.check(broken, w);
    assertTrue(r.maxError() > 1e-4, r.toString());
    assertEquals(objective.partitioning().firstUnit(2) + 1, r.worstCoordinate(), r.toString());
  }

  private static void assertMessage(Runnable construction, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construction::run);
    assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "'");
  }

  private static double[] randomVector(int n, double scale, long seed) {
    Random random = new Random(seed);
    double[] w = new double[n];
    for (int j = 0; j < n; j++) {
      w[j] = scale * random.nextGaussian();
    }
    return w;
  }

  /** w cut into {@code p}'s feature blocks: block b holds w[first .. first + count). */
  private static double[][] split(double[] w, Partitioning p) {
    double[][] blocks = new double[p.blocks()][];
    for (int b = 0; b < p.blocks(); b++) {
      blocks[b] = new double[p.unitCount(b)];
      System.arraycopy(w, p.firstUnit(b), blocks[b], 0, p.unitCount(b));
    }
    return blocks;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      s += a[j] * b[j];
    }
    return s;
  }

  private static double[] concatenate(double[][] blocks) {
    return org.lbfgsbeam.core.optim.Lbfgs.concatenate(blocks);
  }

  /** Solves (X<sup>T</sup>X/N + &lambda;I) w = X<sup>T</sup>y/N (D&times;D, dense) by Cholesky. */
  private static double[] normalEquationSolution(SparseDataset data, double lambda) {
    int n = data.numExamples();
    int d = data.numFeatures();
    double[][] a = new double[d][d];
    double[] rhs = new double[d];
    for (int i = 0; i < n; i++) {
      double y = data.classLabels()[data.labels()[i]];
      int start = data.rowOffsets()[i];
      int end = data.rowOffsets()[i + 1];
      for (int p = start; p < end; p++) {
        int j = data.columns()[p];
        double v = data.values()[p];
        rhs[j] += v * y;
        for (int q = start; q < end; q++) {
          a[j][data.columns()[q]] += v * data.values()[q];
        }
      }
    }
    for (int j = 0; j < d; j++) {
      rhs[j] /= n;
      for (int k = 0; k < d; k++) {
        a[j][k] /= n;
      }
      a[j][j] += lambda;
    }
    double[][] l = new double[d][d]; // A = L L^T
    for (int j = 0; j < d; j++) {
      for (int k = 0; k <= j; k++) {
        double s = a[j][k];
        for (int m = 0; m < k; m++) {
          s -= l[j][m] * l[k][m];
        }
        if (j == k) {
          assertTrue(s > 0, "normal matrix not positive definite at " + j);
          l[j][j] = Math.sqrt(s);
        } else {
          l[j][k] = s / l[k][k];
        }
      }
    }
    double[] z = new double[d]; // L z = rhs
    for (int j = 0; j < d; j++) {
      double s = rhs[j];
      for (int m = 0; m < j; m++) {
        s -= l[j][m] * z[m];
      }
      z[j] = s / l[j][j];
    }
    double[] w = new double[d]; // L^T w = z
    for (int j = d - 1; j >= 0; j--) {
      double s = z[j];
      for (int m = j + 1; m < d; m++) {
        s -= l[m][j] * w[m];
      }
      w[j] = s / l[j][j];
    }
    return w;
  }
}
