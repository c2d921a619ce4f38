package org.lbfgsbeam.core.objective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lbfgsbeam.core.partition.BlockKernels;

/**
 * {@link SoftmaxObjective#partialStatisticsAtTrial} (each row of z<sub>t</sub> = z<sub>x</sub> +
 * t&middot;z<sub>d</sub> formed where its statistics read it) against the two passes it fuses,
 * {@link BlockKernels#trialPoint} then {@link SoftmaxObjective#partialStatistics}: the same
 * z<sub>t</sub>, the same statistics, and the same slope and gradient after them (which read the
 * exponentials the statistics kept), bit for bit; also when z<sub>t</sub> is z<sub>x</sub> itself.
 * The cases are {@link SoftmaxKeptExponentialsTest}'s; the steps are not 1, so that t&middot;z<sub>d
 * </sub> rounds.
 */
class SoftmaxStatisticsAtTrialTest {

  static java.util.stream.Stream<SoftmaxKeptExponentialsTest.Case> cases() {
    return SoftmaxKeptExponentialsTest.cases();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void fusedStatisticsGiveTheBitsOfTheTwoPasses(SoftmaxKeptExponentialsTest.Case c) {
    SoftmaxObjective fused = c.objective();
    SoftmaxObjective twoPasses = c.objective();
    int blocks = c.blocks();
    double[][] x = DirectionalDerivativeTest.random(fused, c.scale(), 41);
    double[][] d = DirectionalDerivativeTest.random(fused, c.scale(), 42);
    double[][] g = DirectionalDerivativeTest.random(fused, 1, 43);
    for (double t : new double[] {0.3719, 1.7e-3, 2.5}) {
      double[][] zx = new double[blocks][];
      double[][] zd = new double[blocks][];
      double[][] ztFused = new double[blocks][];
      double[][] ztTwo = new double[blocks][];
      double[][] statsFused = new double[blocks][];
      double[][] statsTwo = new double[blocks][];
      for (int b = 0; b < blocks; b++) {
        zx[b] = fused.margins(b, x[b]);
        zd[b] = fused.margins(b, d[b]);
        ztFused[b] = new double[zx[b].length];
        statsFused[b] = fused.partialStatisticsAtTrial(b, zx[b], t, zd[b], ztFused[b]);
        ztTwo[b] = BlockKernels.trialPoint(zx[b], t, zd[b], new double[zx[b].length]);
        statsTwo[b] = twoPasses.partialStatistics(b, ztTwo[b]);
        assertArrayEquals(ztTwo[b], ztFused[b], "z_t, block " + b + ", t " + t);
        assertArrayEquals(statsTwo[b], statsFused[b], "statistics, block " + b + ", t " + t);
      }
      CombinedStatistics combined = fused.combine(statsFused);
      assertEquals(twoPasses.combine(statsTwo).dataLoss(), combined.dataLoss());
      double[] logZ = combined.broadcast();
      for (int b = 0; b < blocks; b++) {
        assertArrayEquals(
            twoPasses.slopePartialsAtTrial(b, x[b], t, d[b], ztTwo[b], zd[b], logZ, g[b]),
            fused.slopePartialsAtTrial(b, x[b], t, d[b], ztFused[b], zd[b], logZ, g[b]),
            "slope partials, block " + b);
        double[] gTwo = new double[x[b].length];
        double[] gFused = new double[x[b].length];
        assertEquals(
            twoPasses.gradientAtTrial(b, x[b], t, d[b], ztTwo[b], logZ, gTwo),
            fused.gradientAtTrial(b, x[b], t, d[b], ztFused[b], logZ, gFused));
        assertArrayEquals(gTwo, gFused, "gradient, block " + b);
      }
      // In place: z_t written over z_x.
      for (int b = 0; b < blocks; b++) {
        double[] inPlace = zx[b].clone();
        assertArrayEquals(statsTwo[b], fused.partialStatisticsAtTrial(b, inPlace, t, zd[b],
            inPlace), "statistics in place, block " + b);
        assertArrayEquals(ztTwo[b], inPlace, "z_t in place, block " + b);
      }
    }
  }
}
