package org.lbfgsbeam.core.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The tiled multi-vector kernels give the bits of the plain one-vector-at-a-time loops (every sum runs
 * over its terms in the same order), across tile boundaries and for lengths that are not a multiple of
 * the tile.
 */
class BlockKernelsTilingTest {

  private static double[][] basis(int vectors, int n, long seed) {
    Random r = new Random(seed);
    double[][] b = new double[vectors][n];
    for (double[] v : b) {
      for (int j = 0; j < n; j++) {
        v[j] = r.nextGaussian() * Math.exp(10 * r.nextGaussian()); // wide range: rounding matters
      }
    }
    return b;
  }

  @Test
  void combinationEqualsTheTermByTermSum() {
    for (int n : new int[] {1, BlockKernels.TILE - 1, BlockKernels.TILE, 3 * BlockKernels.TILE + 17}) {
      double[][] b = basis(11, n, n);
      double[] c = new double[11];
      Random r = new Random(1);
      for (int l = 0; l < c.length; l++) {
        c[l] = l == 4 ? 0 : r.nextGaussian();
      }
      double[] expected = new double[n];
      for (int l = 0; l < b.length; l++) {
        if (c[l] != 0) {
          for (int j = 0; j < n; j++) {
            expected[j] += c[l] * b[l][j];
          }
        }
      }
      assertArrayEquals(expected, BlockKernels.combination(c, b), 0.0, "n=" + n);
    }
  }

  @Test
  void gramPartialsEqualTheDots() {
    for (int n : new int[] {1, BlockKernels.TILE + 1, 5 * BlockKernels.TILE - 3}) {
      double[][] b = basis(11, n, 7 * n);
      int[] plan = {0, 0, 3, 9, 10, 10, 9, 3, 5, 1};
      double[] out = BlockKernels.gramPartials(b, plan);
      for (int k = 0; k < plan.length / 2; k++) {
        assertEquals(Double.doubleToLongBits(BlockKernels.dot(b[plan[2 * k]], b[plan[2 * k + 1]])),
            Double.doubleToLongBits(out[k]), "n=" + n + " k=" + k);
      }
    }
  }

  /**
   * The Gram partials of a pushed pair formed tile by tile before the commit equal those after
   * {@link BlockKernels#commitInPlace}, bit for bit, for every history length (the pair alone, a
   * full history) and for lengths across tile boundaries.
   */
  @Test
  void gramPartialsOfPushEqualTheGramPartialsAfterTheCommit() {
    for (int n : new int[] {1, 7, BlockKernels.TILE - 1, BlockKernels.TILE,
        2 * BlockKernels.TILE + 5}) {
      for (int h = 1; h <= 5; h++) {
        int size = 2 * h + 1;
        double[][] vectors = basis(size + 3, n, 31L * n + h);
        double[] d = vectors[size];
        double[] ge = vectors[size + 1];
        double[] g = vectors[size + 2];
        double t = 0.3712;
        int sIndex = org.lbfgsbeam.core.optim.GramMatrix.s(h - 1);
        int yIndex = org.lbfgsbeam.core.optim.GramMatrix.y(h, h - 1);
        int gIndex = org.lbfgsbeam.core.optim.GramMatrix.g(h);
        int[] plan = org.lbfgsbeam.core.optim.GramMatrix.newPairs(h, true);

        double[][] before = vectors.clone();
        before = java.util.Arrays.copyOf(before, size);
        before[sIndex] = null;
        before[yIndex] = null;
        before[gIndex] = ge;
        double[] speculative = BlockKernels.gramPartialsOfPush(before, plan, sIndex, yIndex, t, d,
            ge, g);

        double[] dAfter = d.clone();
        double[] gAfter = g.clone();
        BlockKernels.commitInPlace(t, dAfter, new double[n], ge, gAfter);
        double[][] after = java.util.Arrays.copyOf(vectors, size);
        after[sIndex] = dAfter;
        after[yIndex] = gAfter;
        after[gIndex] = ge;
        assertArrayEquals(BlockKernels.gramPartials(after, plan), speculative,
            "n = " + n + ", h = " + h);
      }
    }
  }

  /**
   * Every term count (none, fewer than a group of four, whole groups and a remainder), zero
   * coefficients skipped even against infinite or negative-zero entries: the bits of adding one term
   * at a time from zero.
   */
  @Test
  void combinationGroupsGiveTheBitsOfOneTermAtATime() {
    for (int n : new int[] {3, BlockKernels.TILE + 9}) {
      for (int terms = 0; terms <= 11; terms++) {
        double[][] b = basis(11, n, 100L * n + terms);
        b[2][1] = Double.POSITIVE_INFINITY; // in a term whose coefficient is zero below
        b[5][0] = -0.0;
        double[] c = new double[11];
        Random r = new Random(terms);
        for (int l = 0, set = 0; l < c.length; l++) {
          if (l != 2 && set < terms) {
            c[l] = r.nextGaussian();
            set++;
          }
        }
        double[] expected = new double[n];
        for (int l = 0; l < b.length; l++) {
          if (c[l] != 0) {
            for (int j = 0; j < n; j++) {
              expected[j] += c[l] * b[l][j];
            }
          }
        }
        double[] out = new double[n];
        java.util.Arrays.fill(out, Double.NaN); // any contents
        BlockKernels.combination(c, b, out);
        for (int j = 0; j < n; j++) {
          assertEquals(Double.doubleToLongBits(expected[j]), Double.doubleToLongBits(out[j]),
              "n=" + n + " terms=" + terms + " j=" + j);
        }
      }
    }
  }

  /** The vector-free plans (eight dots sharing a vector, then the rest): the bits of each dot. */
  @Test
  void gramPartialsOfEveryVectorFreePlanEqualTheDots() {
    for (int n : new int[] {5, 2 * BlockKernels.TILE + 3}) {
      for (int h = 0; h <= 6; h++) {
        for (boolean push : new boolean[] {false, true}) {
          if (push && h == 0) {
            continue;
          }
          double[][] b = basis(2 * h + 1, n, 17L * n + h);
          int[] plan = org.lbfgsbeam.core.optim.GramMatrix.newPairs(h, push);
          double[] out = BlockKernels.gramPartials(b, plan);
          for (int k = 0; k < plan.length / 2; k++) {
            assertEquals(Double.doubleToLongBits(BlockKernels.dot(b[plan[2 * k]], b[plan[2 * k + 1]])),
                Double.doubleToLongBits(out[k]), "n=" + n + " h=" + h + " push=" + push + " k=" + k);
          }
        }
      }
    }
  }
}
