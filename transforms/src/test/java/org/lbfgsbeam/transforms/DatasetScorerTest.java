package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.partition.Partitioning;

/**
 * The softmax scorer of whole data sets ({@link SoftmaxScoring.DatasetScorer}, a class block at a
 * time): against a naive loop over the whole K x D matrix, and bit for bit against the per-example
 * kernels that {@link ScoreExamples} runs.
 */
class DatasetScorerTest {
  static final int N = 40;
  static final int D = 9;
  static final int K = 7;

  /** A random sparse set: about half of each row's features, values in [-2, 2]. */
  static SparseDataset randomData(Random r, int n, int d, int k) {
    List<Integer> cols = new ArrayList<>();
    List<Double> vals = new ArrayList<>();
    int[] offsets = new int[n + 1];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        if (r.nextBoolean()) {
          cols.add(j);
          vals.add(4 * r.nextDouble() - 2);
        }
      }
      offsets[i + 1] = cols.size();
      labels[i] = r.nextInt(k);
    }
    int[] classLabels = new int[k];
    for (int c = 0; c < k; c++) {
      classLabels[c] = 10 * c - 3;
    }
    return SparseDataset.of(d, classLabels, offsets, cols.stream().mapToInt(x -> x).toArray(),
        vals.stream().mapToDouble(x -> x).toArray(), labels);
  }

  static double[][] randomWeights(Random r, int k, int d, double scale) {
    double[][] w = new double[k][d];
    for (double[] row : w) {
      for (int j = 0; j < d; j++) {
        row[j] = scale * r.nextGaussian();
      }
    }
    return w;
  }

  /** Block b of W in the training layout: D x K_b feature-major. */
  static double[] featureMajor(double[][] w, int first, int count, int d) {
    double[] out = new double[d * count];
    for (int j = 0; j < d; j++) {
      for (int c = 0; c < count; c++) {
        out[j * count + c] = w[first + c][j];
      }
    }
    return out;
  }

  static double[] naiveMargins(SparseDataset data, double[][] w, int i) {
    double[] z = new double[w.length];
    for (int k = 0; k < w.length; k++) {
      for (int p = data.rowOffsets()[i]; p < data.rowOffsets()[i + 1]; p++) {
        if (data.columns()[p] < w[k].length) {
          z[k] += data.values()[p] * w[k][data.columns()[p]];
        }
      }
    }
    return z;
  }

  static ClassScores score(SparseDataset data, double[][] w, int d, int blocks, int top,
      boolean reverse) {
    SoftmaxScoring.DatasetScorer scorer = new SoftmaxScoring.DatasetScorer(data, data.labels(), d,
        w.length, blocks, top);
    Partitioning p = Partitioning.of(w.length, d, blocks);
    for (int i = 0; i < blocks; i++) {
      int b = reverse ? blocks - 1 - i : i;
      scorer.addBlock(b, p.firstUnit(b), p.unitCount(b), featureMajor(w, p.firstUnit(b),
          p.unitCount(b), d));
    }
    return scorer.finish();
  }

  @ParameterizedTest(name = "blocks={0} top={1} reverse={2}")
  @CsvSource({"1, 1, false", "2, 3, false", "3, 7, false", "7, 5, false", "3, 4, true"})
  void matchesNaiveSoftmaxAcrossBlockings(int blocks, int top, boolean reverse) {
    Random r = new Random(blocks * 31L + top);
    SparseDataset data = randomData(r, N, D, K);
    double[][] w = randomWeights(r, K, D, 1.5);
    ClassScores s = score(data, w, D, blocks, top, reverse);
    for (int i = 0; i < N; i++) {
      double[] z = naiveMargins(data, w, i);
      double logZ = 0;
      double sum = 0;
      for (double zk : z) {
        sum += Math.exp(zk);
      }
      logZ = Math.log(sum);
      Integer[] order = new Integer[K];
      for (int k = 0; k < K; k++) {
        order[k] = k;
      }
      java.util.Arrays.sort(order, Comparator.comparingDouble((Integer k) -> -z[k]));
      for (int rank = 0; rank < top; rank++) {
        assertEquals(order[rank], s.classAt(i, rank), "example " + i + " rank " + rank);
        double p = Math.exp(z[order[rank]] - logZ);
        assertEquals(p, s.probabilityAt(i, rank), 1e-12 * Math.max(p, 1e-300) + 1e-15);
      }
      int y = data.labels()[i];
      assertEquals(logZ - z[y], s.logLoss()[i], 1e-12 * Math.max(1, Math.abs(logZ - z[y])));
    }
  }

  @Test
  void largeMarginsDoNotOverflow() {
    Random r = new Random(5);
    SparseDataset data = randomData(r, N, D, K);
    double[][] w = randomWeights(r, K, D, 400); // margins of order 10^3: exp would overflow
    ClassScores s = score(data, w, D, 3, K, false);
    for (int i = 0; i < N; i++) {
      double total = 0;
      for (int rank = 0; rank < K; rank++) {
        assertTrue(Double.isFinite(s.probabilityAt(i, rank)));
        total += s.probabilityAt(i, rank);
      }
      assertEquals(1, total, 1e-12);
      assertTrue(Double.isFinite(s.logLoss()[i]) && s.logLoss()[i] >= 0);
    }
  }

  @Test
  void tiesGoToTheSmallerClassWhateverTheBlockOrder() {
    Random r = new Random(9);
    SparseDataset data = randomData(r, 5, D, K);
    double[][] zero = new double[K][D];
    for (boolean reverse : new boolean[] {false, true}) {
      ClassScores s = score(data, zero, D, 3, 3, reverse);
      for (int i = 0; i < 5; i++) {
        assertArrayEquals(new int[] {0, 1, 2},
            new int[] {s.classAt(i, 0), s.classAt(i, 1), s.classAt(i, 2)});
        assertEquals(1.0 / K, s.probabilityAt(i, 0), 1e-15);
        assertEquals(Math.log(K), s.logLoss()[i], 1e-13);
      }
    }
  }

  @Test
  void featuresBeyondTheModelAreIgnored() {
    Random r = new Random(3);
    SparseDataset wide = randomData(r, N, D + 4, K);
    double[][] w = randomWeights(r, K, D, 1);
    double[][] padded = new double[K][];
    for (int k = 0; k < K; k++) {
      padded[k] = java.util.Arrays.copyOf(w[k], D + 4); // zero weights for the extra features
    }
    ClassScores narrow = score(wide, w, D, 2, 3, false);
    ClassScores zeroPadded = score(wide, padded, D + 4, 2, 3, false);
    assertArrayEquals(zeroPadded.topClass(), narrow.topClass());
    assertArrayEquals(zeroPadded.topProbability(), narrow.topProbability(), 1e-14);
  }

  @Test
  void refusesMissingClassesAndBadTop() {
    SparseDataset data = randomData(new Random(1), 3, D, K);
    SoftmaxScoring.DatasetScorer scorer = new SoftmaxScoring.DatasetScorer(data, null, D, K, 3, 2);
    scorer.addBlock(0, 0, 3, new double[3 * D]);
    IllegalStateException e = assertThrows(IllegalStateException.class, scorer::finish);
    assertTrue(e.getMessage().contains("3 of 7 classes"), e.getMessage());
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> scorer.addBlock(0, 0, 3, new double[3 * D]));
    assertEquals("block must be a new one of [0, 3), but was: 0", twice.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new SoftmaxScoring.DatasetScorer(data, null, D, K, 1, 8));
    assertThrows(IllegalArgumentException.class,
        () -> new SoftmaxScoring.DatasetScorer(data, null, D, K, 1, 0));
  }
  /**
   * The command line's path (a data set, a block at a time, blocks in any order) and the Beam
   * transform's (one example, {@link SoftmaxScoring#blockScores} per block, then
   * {@link SoftmaxScoring#combine}) give the same classes and the same probability bits.
   */
  @ParameterizedTest(name = "blocks={0} top={1} reverse={2}")
  @CsvSource({"1, 1, false", "3, 4, false", "7, 7, false", "3, 2, true"})
  void sameBitsAsThePerExampleKernels(int blocks, int top, boolean reverse) {
    Random r = new Random(blocks * 17L + top);
    SparseDataset data = randomData(r, N, D, K);
    double[][] w = randomWeights(r, K, D, 3);
    ClassScores s = score(data, w, D, blocks, top, reverse);
    Partitioning p = Partitioning.of(K, D, blocks);
    int[] labels = data.classLabels();
    for (int i = 0; i < N; i++) {
      int from = data.rowOffsets()[i];
      int to = data.rowOffsets()[i + 1];
      int[] indices = java.util.Arrays.stream(java.util.Arrays.copyOfRange(data.columns(), from,
          to)).map(j -> j + 1).toArray();
      SparseFeatures x = SparseFeatures.of(indices,
          java.util.Arrays.copyOfRange(data.values(), from, to));
      SoftmaxScoring.BlockScores[] partials = new SoftmaxScoring.BlockScores[blocks];
      for (int b = 0; b < blocks; b++) {
        double[] rowMajor = new double[p.unitCount(b) * D];
        for (int c = 0; c < p.unitCount(b); c++) {
          System.arraycopy(w[p.firstUnit(b) + c], 0, rowMajor, c * D, D);
        }
        partials[b] = SoftmaxScoring.blockScores(b, p.firstUnit(b), p.unitCount(b), D, rowMajor,
            x, top);
      }
      Prediction expected = SoftmaxScoring.combine(i, partials, labels, top);
      int[] topLabels = new int[top];
      double[] probabilities = new double[top];
      for (int rank = 0; rank < top; rank++) {
        topLabels[rank] = labels[s.classAt(i, rank)];
        probabilities[rank] = s.probabilityAt(i, rank);
      }
      assertArrayEquals(expected.topLabels(), topLabels, "example " + i);
      assertArrayEquals(expected.topProbabilities(), probabilities, 0.0, "example " + i);
    }
  }
}
