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
}
