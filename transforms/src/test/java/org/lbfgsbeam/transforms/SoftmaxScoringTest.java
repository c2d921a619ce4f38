package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lbfgsbeam.transforms.SoftmaxScoring.BlockScores;

/** The scoring kernels against a plain in-memory softmax, for every way of splitting the classes. */
class SoftmaxScoringTest {
  private static final int[] LABELS = {-3, 0, 1, 4, 7, 10, 12};
  private static final int D = 11;

  @Test
  void anyBlockSplitMatchesThePlainSoftmax() {
    double[][] w = SoftmaxModelDirs.randomWeights(1, LABELS.length, D);
    Random random = new Random(2);
    int[][] splits = {{7}, {2, 2, 3}, {1, 1, 1, 1, 1, 1, 1}, {6, 1}, {1, 6}};
    for (int trial = 0; trial < 50; trial++) {
      SparseFeatures x = randomFeatures(random, D);
      for (int k = 1; k <= LABELS.length; k++) {
        Prediction expected = NaiveSoftmax.predict(trial, w, LABELS, x, k);
        for (int[] split : splits) {
          Prediction actual = score(trial, w, split, x, k);
          assertNull(NaiveSoftmax.mismatch(expected, actual, 1e-14),
              () -> "split " + java.util.Arrays.toString(split));
        }
      }
    }
  }

  @Test
  void allClassesProbabilitiesSumToOne() {
    double[][] w = SoftmaxModelDirs.randomWeights(3, LABELS.length, D);
    Prediction p = score(0, w, new int[] {2, 2, 3}, randomFeatures(new Random(4), D), 7);
    double sum = 0;
    for (double q : p.topProbabilities()) {
      sum += q;
    }
    assertEquals(1, sum, 1e-14);
    int[] sorted = p.topLabels();
    java.util.Arrays.sort(sorted);
    assertArrayEquals(LABELS, sorted);
  }

  @Test
  void tiesRankByClassIndexAcrossBlocks() {
    double[][] w = new double[7][3];
    w[5] = new double[] {1, 2, 3}; // block 2
    w[1] = new double[] {1, 2, 3}; // block 0: the same margins
    w[3] = new double[] {1, 2, 3}; // block 1
    SparseFeatures x = SparseFeatures.of(new int[] {1, 3}, new double[] {0.5, 1});
    Prediction p = score(9, w, new int[] {2, 2, 3}, x, 4);
    assertArrayEquals(new int[] {0, 4, 10, -3}, p.topLabels());
    assertEquals(p.topProbabilities()[0], p.topProbabilities()[2]);
  }

  @Test
  void hugeMarginsDoNotOverflow() {
    double[][] w = new double[7][2];
    w[6] = new double[] {800, 0};
    w[0] = new double[] {799, 0};
    Prediction p = score(1, w, new int[] {2, 2, 3}, SparseFeatures.of(new int[] {1},
        new double[] {1}), 2);
    assertArrayEquals(new int[] {12, -3}, p.topLabels());
    // log Z = 800 + log(1.37): its rounding (ulp(800) = 1.1e-13) bounds the accuracy.
    assertEquals(1 / (1 + Math.exp(-1)), p.topProbabilities()[0], 1e-13);
  }

  @Test
  void combineChecksTheBlockOrder() {
    double[][] w = SoftmaxModelDirs.randomWeights(5, 7, 2);
    SparseFeatures x = SparseFeatures.of(new int[] {2}, new double[] {1});
    BlockScores b0 = SoftmaxScoring.blockScores(0, 0, 3, 2, rows(w, 0, 3), x, 1);
    BlockScores b1 = SoftmaxScoring.blockScores(1, 3, 4, 2, rows(w, 3, 4), x, 1);
    assertEquals("partial 0 of example 6 comes from block 1",
        assertThrows(IllegalArgumentException.class, () -> SoftmaxScoring.combine(6,
            new BlockScores[] {b1, b0}, LABELS, 1)).getMessage());
    assertEquals("feature index 3 is beyond the model's 2 features",
        assertThrows(IllegalArgumentException.class, () -> SoftmaxScoring.blockScores(0, 0, 3, 2,
            rows(w, 0, 3), SparseFeatures.of(new int[] {3}, new double[] {1}), 1)).getMessage());
  }

  /** Scores {@code x} with W split into blocks of {@code split} rows, as both strategies do. */
  static Prediction score(long id, double[][] w, int[] split, SparseFeatures x, int k) {
    BlockScores[] partials = new BlockScores[split.length];
    int first = 0;
    for (int b = 0; b < split.length; b++) {
      partials[b] = SoftmaxScoring.blockScores(b, first, split[b], w[0].length,
          rows(w, first, split[b]), x, k);
      first += split[b];
    }
    return SoftmaxScoring.combine(id, partials, LABELS, k);
  }

  static double[] rows(double[][] w, int first, int count) {
    int d = w[0].length;
    double[] out = new double[count * d];
    for (int r = 0; r < count; r++) {
      System.arraycopy(w[first + r], 0, out, r * d, d);
    }
    return out;
  }

  static SparseFeatures randomFeatures(Random random, int d) {
    int[] idx = random.ints(1, d + 1).limit(random.nextInt(d + 1)).distinct().sorted().toArray();
    double[] val = new double[idx.length];
    for (int p = 0; p < idx.length; p++) {
      val[p] = random.nextGaussian();
    }
    return SparseFeatures.of(idx, val);
  }
}
