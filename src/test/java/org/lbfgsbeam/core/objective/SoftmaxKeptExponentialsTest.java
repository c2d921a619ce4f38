package org.lbfgsbeam.core.objective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lbfgsbeam.core.testing.SharedData;

/**
 * {@link SoftmaxObjective} gives the same bits whether or not it reads the exponentials that
 * {@link SoftmaxObjective#partialStatistics} (e) or {@link SoftmaxObjective#directionalDerivative}
 * (p) kept: each value formed with what is kept is compared with the one formed on a copy of the
 * margins (a copy misses the identity look-up, as margins decoded by another Beam stage, another
 * Flink JVM or a resumed run do) and with the one of a fresh objective that never took the
 * statistics. JUnit's {@code assertArrayEquals(double[], double[])} and {@code assertEquals(double,
 * double)} compare {@code doubleToLongBits}: exact equality.
 */
class SoftmaxKeptExponentialsTest {

  /** An objective on a fixture set, the scale of its random points, and the data's name. */
  record Case(String name, String file, double lambda, int blocks, double scale) {
    SoftmaxObjective objective() {
      return new SoftmaxObjective(SharedData.dataset(file), lambda, blocks);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("heart P=1", "heart_scale.libsvm", 0.01, 1, 0.5),
        new Case("heart P=2, weights 1e3 (max shift, underflowing terms)", "heart_scale.libsvm",
            0.01, 2, 1e3),
        new Case("synth-small P=3", "synth-small.libsvm", 1e-4, 3, 2),
        new Case("synth-small P=7", "synth-small.libsvm", 1e-4, 7, 0.5));
  }

  /**
   * The margins of w and of d, w's partial statistics (which {@code objective} keeps the
   * exponentials of) and the normalisers log Z, block by block.
   */
  record Evaluated(double[][] z, double[][] zd, double[][] statistics, double[] logZ) {
    static Evaluated of(SoftmaxObjective objective, double[][] w, double[][] d) {
      int blocks = w.length;
      double[][] z = new double[blocks][];
      double[][] zd = new double[blocks][];
      double[][] statistics = new double[blocks][];
      for (int b = 0; b < blocks; b++) {
        z[b] = objective.margins(b, w[b]);
        zd[b] = objective.margins(b, d[b]);
        statistics[b] = objective.partialStatistics(b, z[b]);
      }
      return new Evaluated(z, zd, statistics, objective.combine(statistics).broadcast());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void keptAndFormedAgainGiveTheSameBits(Case c) {
    SoftmaxObjective kept = c.objective();
    SoftmaxObjective fresh = c.objective();
    int blocks = c.blocks();
    double[][] w = DirectionalDerivativeTest.random(kept, c.scale(), 31);
    double[][] d = DirectionalDerivativeTest.random(kept, c.scale(), 32);
    Evaluated at = Evaluated.of(kept, w, d);
    double[][] z = at.z();
    double[][] zd = at.zd();
    double[][] stats = at.statistics();
    double[] logZ = at.logZ();
    for (int b = 0; b < blocks; b++) {
      String where = c + " block " + b;
      int length = w[b].length;
      // The statistics themselves: the same from a copy and from another objective.
      assertArrayEquals(stats[b], kept.partialStatistics(b, z[b].clone()), where + ": statistics");
      assertArrayEquals(stats[b], fresh.partialStatistics(b, z[b]), where + ": statistics");

      // The reference: a fresh objective on a copy of the margins, nothing kept.
      double[] reference = new double[length];
      double referenceShare = new SoftmaxObjective(kept.data(), kept.lambda(), blocks)
          .gradient(b, w[b], z[b].clone(), logZ, reference);

      // gradient from the kept e (the full path: statistics, then the gradient).
      kept.partialStatistics(b, z[b]);
      double[] g = new double[length];
      assertEquals(referenceShare, kept.gradient(b, w[b], z[b], logZ, g), where);
      assertArrayEquals(reference, g, where + ": gradient from kept e");
      // ... again, with nothing kept any more (a gradient uses what is kept once).
      kept.gradient(b, w[b], z[b], logZ, g);
      assertArrayEquals(reference, g, where + ": gradient after the kept values were used");
      // ... on a copy of the margins, with e of the original kept: not read.
      kept.partialStatistics(b, z[b]);
      kept.gradient(b, w[b], z[b].clone(), logZ, g);
      assertArrayEquals(reference, g, where + ": gradient on a copy");
      // ... after the statistics of other margins: e of those is not read.
      kept.partialStatistics(b, z[b]);
      kept.partialStatistics(b, zd[b]);
      kept.gradient(b, w[b], z[b], logZ, g);
      assertArrayEquals(reference, g, where + ": gradient after other statistics");
      // ... of another objective that never took these statistics.
      fresh.gradient(b, w[b], z[b], logZ, g);
      assertArrayEquals(reference, g, where + ": gradient of a fresh objective");

      // directionalDerivative from kept e, on a copy (e not read), and from p it kept itself.
      double referenceSlope = new SoftmaxObjective(kept.data(), kept.lambda(), blocks)
          .directionalDerivative(b, w[b], z[b].clone(), zd[b], logZ, d[b]);
      kept.partialStatistics(b, z[b]);
      assertEquals(referenceSlope, kept.directionalDerivative(b, w[b], z[b], zd[b], logZ, d[b]),
          where + ": slope from kept e");
      assertEquals(referenceSlope, kept.directionalDerivative(b, w[b], z[b], zd[b], logZ, d[b]),
          where + ": slope from kept p");
      kept.partialStatistics(b, z[b]);
      assertEquals(referenceSlope,
          kept.directionalDerivative(b, w[b], z[b].clone(), zd[b], logZ, d[b]),
          where + ": slope on a copy");

      // gradient from the p the slope formed over kept e, and over e it formed itself.
      kept.partialStatistics(b, z[b]);
      kept.directionalDerivative(b, w[b], z[b], zd[b], logZ, d[b]);
      kept.gradient(b, w[b], z[b], logZ, g);
      assertArrayEquals(reference, g, where + ": gradient from p formed over kept e");
      double[] copy = z[b].clone();
      kept.directionalDerivative(b, w[b], copy, zd[b], logZ, d[b]);
      kept.gradient(b, w[b], copy, logZ, g);
      assertArrayEquals(reference, g, where + ": gradient from p formed without kept e");

      // valueShare: no exponentials at all, the same either way.
      kept.partialStatistics(b, z[b]);
      assertEquals(kept.valueShare(b, w[b], z[b].clone(), logZ),
          kept.valueShare(b, w[b], z[b], logZ), where + ": value share");
      assertEquals(referenceShare, kept.valueShare(b, w[b], z[b], logZ), where + ": value share");
    }
  }

  /**
   * The trial forms (x + t&middot;d formed entry by entry, the executors' cached-margins path):
   * kept against a copy, for the gradient, the slope and the value share.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void trialFormsGiveTheSameBitsKeptOrNot(Case c) {
    SoftmaxObjective kept = c.objective();
    int blocks = c.blocks();
    double[][] x = DirectionalDerivativeTest.random(kept, c.scale(), 41);
    double[][] d = DirectionalDerivativeTest.random(kept, c.scale(), 42);
    double t = 0.625;
    double[][] zt = new double[blocks][];
    double[][] zd = new double[blocks][];
    double[][] stats = new double[blocks][];
    for (int b = 0; b < blocks; b++) {
      zd[b] = kept.margins(b, d[b]);
      zt[b] = org.lbfgsbeam.core.partition.BlockKernels.trialPoint(kept.margins(b, x[b]), t,
          zd[b]);
      stats[b] = kept.partialStatistics(b, zt[b]);
    }
    double[] logZ = kept.combine(stats).broadcast();
    for (int b = 0; b < blocks; b++) {
      String where = c + " block " + b;
      int length = x[b].length;
      double[] reference = new double[length];
      double referenceShare = kept.gradientAtTrial(b, x[b], t, d[b], zt[b].clone(), logZ,
          reference);
      double referenceSlope = kept.directionalDerivativeAtTrial(b, x[b], t, d[b], zt[b].clone(),
          zd[b], logZ);

      double[] g = new double[length];
      kept.partialStatistics(b, zt[b]);
      assertEquals(referenceShare, kept.gradientAtTrial(b, x[b], t, d[b], zt[b], logZ, g), where);
      assertArrayEquals(reference, g, where + ": trial gradient from kept e");

      kept.partialStatistics(b, zt[b]);
      assertEquals(referenceSlope,
          kept.directionalDerivativeAtTrial(b, x[b], t, d[b], zt[b], zd[b], logZ),
          where + ": trial slope from kept e");
      kept.gradientAtTrial(b, x[b], t, d[b], zt[b], logZ, g);
      assertArrayEquals(reference, g, where + ": trial gradient from kept p");

      assertEquals(kept.valueShareAtTrial(b, x[b], t, d[b], zt[b].clone(), logZ),
          kept.valueShareAtTrial(b, x[b], t, d[b], zt[b], logZ), where + ": trial value share");
      assertEquals(referenceShare, kept.valueShareAtTrial(b, x[b], t, d[b], zt[b], logZ),
          where + ": trial value share is the gradient's");
    }
  }

  /**
   * The one-pass slope partials of a cached trial equal the default's four passes (share,
   * directional derivative, g&middot;d, max|d|), bit for bit, with or without kept exponentials.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void onePassSlopePartialsGiveTheBitsOfFourPasses(Case c) {
    SoftmaxObjective fused = c.objective();
    SoftmaxObjective separate = c.objective();
    int blocks = c.blocks();
    double[][] x = DirectionalDerivativeTest.random(fused, c.scale(), 41);
    double[][] d = DirectionalDerivativeTest.random(fused, c.scale(), 42);
    double[][] g = DirectionalDerivativeTest.random(fused, c.scale(), 43);
    double t = 0.731;
    double[][] xt = new double[blocks][];
    for (int b = 0; b < blocks; b++) {
      xt[b] = org.lbfgsbeam.core.partition.BlockKernels.trialPoint(x[b], t, d[b]);
    }
    Evaluated at = Evaluated.of(fused, xt, d);
    double[][] zt = at.z();
    double[][] zd = at.zd();
    double[] logZ = at.logZ();
    for (int b = 0; b < blocks; b++) {
      double dMax = 0;
      for (double v : d[b]) {
        dMax = Math.max(dMax, Math.abs(v));
      }
      double[] expected = {
          separate.valueShareAtTrial(b, x[b], t, d[b], zt[b].clone(), logZ),
          separate.directionalDerivativeAtTrial(b, x[b], t, d[b], zt[b].clone(), zd[b], logZ),
          org.lbfgsbeam.core.partition.BlockKernels.dot(g[b], d[b]),
          dMax};
      assertArrayEquals(expected,
          fused.slopePartialsAtTrial(b, x[b], t, d[b], zt[b], zd[b], logZ, g[b]), "block " + b);
    }
  }

  /**
   * The gradient with its line-search partials in one last pass equals the gradient and then
   * {@code BlockKernels.lineSearchPartials}, bit for bit: the share, every partial and every entry
   * of the gradient.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void gradientWithLineSearchGivesTheBitsOfTwoPasses(Case c) {
    SoftmaxObjective fused = c.objective();
    SoftmaxObjective separate = c.objective();
    int blocks = c.blocks();
    double[][] x = DirectionalDerivativeTest.random(fused, c.scale(), 51);
    double[][] d = DirectionalDerivativeTest.random(fused, c.scale(), 52);
    double[][] g = DirectionalDerivativeTest.random(fused, c.scale(), 53);
    double t = 0.377;
    double[][] zt = new double[blocks][];
    double[][] stats = new double[blocks][];
    for (int b = 0; b < blocks; b++) {
      zt[b] = fused.margins(b, org.lbfgsbeam.core.partition.BlockKernels.trialPoint(x[b], t, d[b]));
      stats[b] = fused.partialStatistics(b, zt[b]);
    }
    double[] logZ = fused.combine(stats).broadcast();
    for (int b = 0; b < blocks; b++) {
      double[] expectedGradient = new double[x[b].length];
      double share = separate.gradientAtTrial(b, x[b], t, d[b], zt[b].clone(), logZ,
          expectedGradient);
      double[] ls = org.lbfgsbeam.core.partition.BlockKernels.lineSearchPartials(g[b], d[b], t,
          expectedGradient);
      double[] expected = new double[ls.length + 1];
      expected[0] = share;
      System.arraycopy(ls, 0, expected, 1, ls.length);
      double[] gradient = new double[x[b].length];
      java.util.Arrays.fill(gradient, Double.NaN); // any contents
      assertArrayEquals(expected,
          fused.gradientAtTrialWithLineSearch(b, x[b], t, d[b], zt[b], logZ, gradient, g[b]),
          "block " + b);
      assertArrayEquals(expectedGradient, gradient, "gradient of block " + b);
    }
  }
}
