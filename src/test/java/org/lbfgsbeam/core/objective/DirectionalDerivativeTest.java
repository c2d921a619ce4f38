package org.lbfgsbeam.core.objective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lbfgsbeam.core.objective.LinearModelObjective.Loss;
import org.lbfgsbeam.core.partition.BlockKernels;
import org.lbfgsbeam.core.testing.GradientTester;
import org.lbfgsbeam.core.testing.SharedData;

/**
 * What the cached-margins trials rely on, for every objective with linear margins:
 * {@link PartitionedObjective#directionalDerivative} summed over blocks equals &nabla;f(w)&middot;d (to
 * 1e-12 relative, against the gradient the objective forms, and to a fourth-order finite difference
 * of f along d), {@link PartitionedObjective#valueShare} is the gradient's share bit for bit, and
 * margins(w) + t&middot;margins(d) is margins(w + t&middot;d) to rounding.
 */
class DirectionalDerivativeTest {

  /** An objective on a fixture with P blocks, and the scale of the random points and directions. */
  record Case(String name, PartitionedObjective objective, double scale) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    var heart = SharedData.dataset("heart_scale.libsvm");
    var synth = SharedData.dataset("synth-small.libsvm");
    return Stream.of(
        new Case("softmax heart P=1", new SoftmaxObjective(heart, 0.01, 1), 0.5),
        new Case("softmax synth-small P=3", new SoftmaxObjective(synth, 1e-4, 3), 2),
        new Case("softmax synth-small P=20", new SoftmaxObjective(synth, 1e-4, 20), 2),
        new Case("logistic heart P=1", new LinearModelObjective(heart, Loss.LOGISTIC, 0.01, 1), 0.5),
        new Case("logistic heart P=4", new LinearModelObjective(heart, Loss.LOGISTIC, 0.01, 4), 0.5),
        new Case("squared heart P=4", new LinearModelObjective(heart, Loss.SQUARED, 0.01, 4), 0.5));
  }

  /** A seeded Gaussian point in the objective's blocks. */
  static double[][] random(PartitionedObjective objective, double scale, long seed) {
    Random random = new Random(seed);
    double[][] w = new double[objective.partitioning().blocks()][];
    for (int b = 0; b < w.length; b++) {
      w[b] = new double[objective.partitioning().blockSize(b)];
      for (int j = 0; j < w[b].length; j++) {
        w[b][j] = scale * random.nextGaussian();
      }
    }
    return w;
  }

  /** &Sigma;<sub>b</sub> directionalDerivative(b, ...) in block order, as the executors reduce it. */
  static double directionalDerivative(PartitionedObjective o, double[][] w, double[][] d) {
    int blocks = w.length;
    double[][] z = new double[blocks][];
    double[][] stats = new double[blocks][];
    for (int b = 0; b < blocks; b++) {
      z[b] = o.margins(b, w[b]);
      stats[b] = o.partialStatistics(b, z[b]);
    }
    CombinedStatistics c = o.combine(stats);
    double sum = 0;
    for (int b = 0; b < blocks; b++) {
      sum += o.directionalDerivative(b, w[b], z[b], o.margins(b, d[b]), c.broadcast(), d[b]);
    }
    return sum;
  }

  static double[][] along(double[][] w, double t, double[][] d) {
    double[][] out = new double[w.length][];
    for (int b = 0; b < w.length; b++) {
      out[b] = BlockKernels.trialPoint(w[b], t, d[b]);
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void equalsTheGradientDottedWithTheDirection(Case c) {
    PartitionedObjective o = c.objective();
    assertTrue(o.linearMargins());
    for (long seed = 1; seed <= 3; seed++) {
      double[][] w = random(o, c.scale(), seed);
      double[][] d = random(o, c.scale(), 100 + seed);
      double[][] g = new double[w.length][];
      GradientTester.evaluate(o, w, g);
      double gd = 0;
      for (int b = 0; b < w.length; b++) {
        gd += BlockKernels.dot(g[b], d[b]);
      }
      double dd = directionalDerivative(o, w, d);
      assertEquals(gd, dd, 1e-12 * Math.abs(gd), c + " seed " + seed);
    }
  }

  /**
   * The fourth-order central difference of &phi;(t) = f(w + t&middot;d) at 0 (the stencil of
   * {@link GradientTester}) with h = 2<sup>&minus;10</sup>, relative to max(|&phi;'|, 1e-4).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesFiniteDifferencesAlongTheDirection(Case c) {
    PartitionedObjective o = c.objective();
    double[][] w = random(o, c.scale(), 7);
    double[][] d = random(o, c.scale() / 10, 8);
    double h = 0x1p-10;
    double f1 = GradientTester.evaluate(o, along(w, h, d), null);
    double fm1 = GradientTester.evaluate(o, along(w, -h, d), null);
    double f2 = GradientTester.evaluate(o, along(w, 2 * h, d), null);
    double fm2 = GradientTester.evaluate(o, along(w, -2 * h, d), null);
    double numeric = (8 * (f1 - fm1) - (f2 - fm2)) / (12 * h);
    double analytic = directionalDerivative(o, w, d);
    double error = GradientTester.relativeError(analytic, numeric);
    assertTrue(error < 1e-7, c + ": analytic " + analytic + ", numeric " + numeric + ", error "
        + error);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void valueShareIsTheGradientsShareBitForBit(Case c) {
    PartitionedObjective o = c.objective();
    double[][] w = random(o, c.scale(), 11);
    double[][] z = new double[w.length][];
    double[][] stats = new double[w.length][];
    for (int b = 0; b < w.length; b++) {
      z[b] = o.margins(b, w[b]);
      stats[b] = o.partialStatistics(b, z[b]);
    }
    CombinedStatistics combined = o.combine(stats);
    for (int b = 0; b < w.length; b++) {
      double share = o.gradient(b, w[b], z[b], combined.broadcast(), new double[w[b].length]);
      assertEquals(share, o.valueShare(b, w[b], z[b], combined.broadcast()), 0.0, c + " block " + b);
    }
  }

  /** Margins are linear: margins(w) + t&middot;margins(d) is margins(w + t&middot;d) to rounding. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void marginsAreLinearInTheWeights(Case c) {
    PartitionedObjective o = c.objective();
    double[][] w = random(o, c.scale(), 21);
    double[][] d = random(o, c.scale(), 22);
    double t = 0.375;
    for (int b = 0; b < w.length; b++) {
      double[] cached = BlockKernels.trialPoint(o.margins(b, w[b]), t, o.margins(b, d[b]));
      double[] direct = o.margins(b, BlockKernels.trialPoint(w[b], t, d[b]));
      double scale = 0;
      for (double v : direct) {
        scale = Math.max(scale, Math.abs(v));
      }
      for (int i = 0; i < direct.length; i++) {
        assertEquals(direct[i], cached[i], 1e-13 * scale, c + " block " + b + " margin " + i);
      }
    }
  }

  @Test
  void objectivesWithoutLinearMarginsHaveNoDirectionalDerivative() {
    PartitionedObjective o = new WholeVectorObjective(new Rosenbrock(), 2);
    assertFalse(o.linearMargins());
    double[] w = {-1.2, 1};
    double[] m = o.margins(0, w);
    double[] g = new double[2];
    double share = o.gradient(0, w, m, new double[0], g);
    assertEquals(share, o.valueShare(0, w, m, new double[0]), 0.0, "the default valueShare");
    assertThrows(UnsupportedOperationException.class,
        () -> o.directionalDerivative(0, w, m, m, new double[0], w));
  }
}
