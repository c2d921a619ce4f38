package org.lbfgsbeam.core.objective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.partition.BlockKernels;
import org.lbfgsbeam.core.partition.Partitioning;
import org.lbfgsbeam.core.testing.GradientTester;
import org.lbfgsbeam.core.testing.SharedData;

/**
 * {@link SoftmaxObjective}: finite-difference gradients, the value at W = 0, independence of the
 * class partitioning, and no overflow at large weights.
 */
class SoftmaxObjectiveTest {
  private static SparseDataset heart;
  private static SparseDataset small;

  @BeforeAll
  static void load() throws IOException {
    heart = LibsvmReader.read(SharedData.file("heart_scale.libsvm"));
    small = LibsvmReader.read(SharedData.file("synth-small.libsvm"));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void gradientMatchesFiniteDifferencesOnHeartScale(int partitions) {
    SoftmaxObjective objective = new SoftmaxObjective(heart, 0.01, partitions);
    double[][] w = toBlocks(randomMatrix(2, 13, 0.5, 11), objective.partitioning());
    GradientTester.Result r = GradientTester.check(objective, w);
    assertEquals(26, r.checked());
    assertTrue(r.maxError() < 1e-6, "P=" + partitions + ": " + r);
  }

  @ParameterizedTest
  @ValueSource(ints = {3, 7})
  void gradientMatchesFiniteDifferencesOnSynthSmall(int partitions) {
    SoftmaxObjective objective = new SoftmaxObjective(small, 1e-4, partitions);
    double[][] w = toBlocks(randomMatrix(20, 4999, 0.5, 12), objective.partitioning());
    GradientTester.Result r = GradientTester.check(objective, w, 200, 13);
    assertEquals(200, r.checked());
    assertTrue(r.maxError() < 1e-6, "P=" + partitions + ": " + r);
  }

  /**
   * At W = 0 every margin is 0, so each block's partial is (m = 0, s = K<sub>b</sub>, z<sub>y</sub>
   * = 0), the combine gives log Z<sub>i</sub> = 0 + log(&Sigma;<sub>b</sub> K<sub>b</sub>) = log K
   * (the sum of integers is exact, and Math.log(K) is what the test compares with) and f =
   * (1/N) &Sigma;<sub>i</sub> log K + 0 = log K. The only rounding is the recursive sum of N equal
   * terms and the division by N, whose relative error is at most (N&minus;1)u + u = Nu with
   * u = 2<sup>&minus;53</sup> (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed.,
   * &sect;4.2). That bound, 3&middot;10<sup>&minus;14</sup> for heart_scale and
   * 2.2&middot;10<sup>&minus;13</sup> for synth-small, is what is asserted; the errors are
   * 1.9&middot;10<sup>&minus;15</sup> and 3.3&middot;10<sup>&minus;14</sup>, so a fixed 10<sup>&minus;15</sup>
   * would reject a correct implementation.
   */
  /**
   * The gradient after a directional derivative of the same margins and normalisers reads the
   * probabilities the derivative kept: the same bits as a gradient that takes its own
   * exponentials; with other normalisers (another trial) it takes its own again.
   */
  @Test
  void gradientAfterTheSlopeHasTheBitsOfAFreshOne() {
    int blocks = 3;
    SoftmaxObjective kept = new SoftmaxObjective(small, 1e-4, blocks);
    SoftmaxObjective fresh = new SoftmaxObjective(small, 1e-4, blocks);
    double[][] w = toBlocks(randomMatrix(20, 4999, 0.5, 21), kept.partitioning());
    double[][] d = toBlocks(randomMatrix(20, 4999, 0.5, 22), kept.partitioning());
    SoftmaxKeptExponentialsTest.Evaluated at = SoftmaxKeptExponentialsTest.Evaluated.of(kept, w, d);
    double[][] z = at.z();
    double[][] zd = at.zd();
    double[] logZ = at.logZ();
    for (int b = 0; b < blocks; b++) {
      kept.directionalDerivative(b, w[b], z[b], zd[b], logZ, d[b]);
      double[] g1 = new double[w[b].length];
      double[] g2 = new double[w[b].length];
      double s1 = kept.gradient(b, w[b], z[b], logZ, g1);
      double s2 = fresh.gradient(b, w[b], z[b], logZ, g2);
      assertEquals(s2, s1, 0.0);
      assertTrue(java.util.Arrays.equals(g2, g1), "block " + b);
      // Other normalisers: nothing kept is used (they would give other probabilities).
      double[] other = logZ.clone();
      other[0] += 1;
      kept.directionalDerivative(b, w[b], z[b], zd[b], logZ, d[b]);
      kept.gradient(b, w[b], z[b], other, g1);
      fresh.gradient(b, w[b], z[b], other, g2);
      assertTrue(java.util.Arrays.equals(g2, g1), "block " + b + ", other normalisers");
    }
  }

  @Test
  void valueAtZeroIsLogK() {
    for (SparseDataset data : new SparseDataset[] {heart, small}) {
      int k = data.numClasses();
      for (int partitions : k == 2 ? new int[] {1, 2} : new int[] {1, 2, 7, k}) {
        SoftmaxObjective objective = new SoftmaxObjective(data, 0.01, partitions);
        double[][] g = new double[partitions][];
        double f = GradientTester.evaluate(objective, zeros(objective.partitioning()), g);
        double bound = data.numExamples() * 0x1p-53 * Math.log(k);
        assertEquals(Math.log(k), f, bound, data + " P=" + partitions);
        assertTrue(BlockKernels.allFinite(g[0]), "gradient at 0");
      }
    }
  }

  @Test
  void valueAndGradientDoNotDependOnThePartitioning() {
    double[][] matrix = randomMatrix(20, 4999, 0.5, 14);
    double[][] reference = null;
    double referenceValue = 0;
    for (int partitions : new int[] {1, 2, 7}) {
      SoftmaxObjective objective = new SoftmaxObjective(small, 1e-4, partitions);
      double[][] w = toBlocks(matrix, objective.partitioning());
      double[][] g = new double[partitions][];
      double f = GradientTester.evaluate(objective, w, g);
      double[][] gradient = fromBlocks(g, objective.partitioning());
      assertEquals(matrix[19][4998], objective.weight(w, 19, 4998), "weight() layout");
      assertEquals(matrix[5][17], objective.weight(w, 5, 17), "weight() layout");
      if (reference == null) {
        reference = gradient;
        referenceValue = f;
        continue;
      }
      assertEquals(referenceValue, f, 1e-13 * Math.abs(referenceValue), "f at P=" + partitions);
      double worst = 0; // GradientTester's relative error, with its floor of 1e-4
      for (int k = 0; k < 20; k++) {
        for (int j = 0; j < 4999; j++) {
          worst = Math.max(worst, GradientTester.relativeError(reference[k][j], gradient[k][j]));
        }
      }
      assertTrue(worst <= 1e-12, "gradient at P=" + partitions + " differs by " + worst);
    }
  }

  /**
   * With weights of order 10<sup>3</sup>, exp of a margin overflows; the max shift keeps f and g
   * finite, and f stays within its bounds: since max<sub>k</sub> z<sub>ik</sub> &le; log Z<sub>i</sub>
   * &le; max<sub>k</sub> z<sub>ik</sub> + log K, the data loss lies in [L, L + log K] with
   * L = (1/N) &Sigma;<sub>i</sub> (max<sub>k</sub> z<sub>ik</sub> &minus; z<sub>i,y<sub>i</sub></sub>).
   */
  @Test
  void hugeWeightsDoNotOverflow() {
    for (SparseDataset data : new SparseDataset[] {heart, small}) {
      int k = data.numClasses();
      int d = data.numFeatures();
      double[][] matrix = randomMatrix(k, d, 1e3, 15);
      double lambda = 1e-4;
      double[][] z = naiveMargins(data, matrix);
      double lower = 0;
      for (int i = 0; i < data.numExamples(); i++) {
        double max = Double.NEGATIVE_INFINITY;
        for (double zik : z[i]) {
          max = Math.max(max, zik);
        }
        lower += max - z[i][data.labels()[i]];
      }
      lower /= data.numExamples();
      double regulariser = 0;
      for (double[] row : matrix) {
        regulariser += BlockKernels.dot(row, row);
      }
      regulariser *= 0.5 * lambda;
      assertTrue(lower > 100, "the margins must be large for this test, but L = " + lower);
      for (int partitions : new int[] {1, 2}) {
        SoftmaxObjective objective = new SoftmaxObjective(data, lambda, partitions);
        double[][] g = new double[partitions][];
        double[][] w = toBlocks(matrix, objective.partitioning());
        double f = GradientTester.evaluate(objective, w, g);
        assertTrue(Double.isFinite(f), data + " P=" + partitions + ": f = " + f);
        for (double[] gb : g) {
          assertTrue(BlockKernels.allFinite(gb), data + " P=" + partitions + ": gradient");
        }
        double dataLoss = f - regulariser;
        double slack = 1e-12 * f;
        assertTrue(dataLoss >= lower - slack && dataLoss <= lower + Math.log(k) + slack,
            data + " P=" + partitions + ": data loss " + dataLoss + " outside [" + lower + ", "
                + (lower + Math.log(k)) + "]");
      }
    }
  }

  /** A K&times;D matrix of N(0, scale&sup2;) entries from {@code seed}. */
  static double[][] randomMatrix(int k, int d, double scale, long seed) {
    Random random = new Random(seed);
    double[][] w = new double[k][d];
    for (double[] row : w) {
      for (int j = 0; j < d; j++) {
        row[j] = scale * random.nextGaussian();
      }
    }
    return w;
  }

  /**
   * A row-major K&times;D matrix in {@code p}'s blocks, feature-major within a block: entry
   * j&middot;K<sub>b</sub> + c of block b is W[k<sub>0</sub> + c][j].
   */
  static double[][] toBlocks(double[][] matrix, Partitioning p) {
    int d = p.unitSize();
    double[][] blocks = new double[p.blocks()][];
    for (int b = 0; b < p.blocks(); b++) {
      int k0 = p.firstUnit(b);
      int kb = p.unitCount(b);
      blocks[b] = new double[kb * d];
      for (int j = 0; j < d; j++) {
        for (int c = 0; c < kb; c++) {
          blocks[b][j * kb + c] = matrix[k0 + c][j];
        }
      }
    }
    return blocks;
  }

  /** The inverse of {@link #toBlocks}. */
  static double[][] fromBlocks(double[][] blocks, Partitioning p) {
    int d = p.unitSize();
    double[][] matrix = new double[p.units()][d];
    for (int b = 0; b < p.blocks(); b++) {
      int k0 = p.firstUnit(b);
      int kb = p.unitCount(b);
      for (int j = 0; j < d; j++) {
        for (int c = 0; c < kb; c++) {
          matrix[k0 + c][j] = blocks[b][j * kb + c];
        }
      }
    }
    return matrix;
  }

  private static double[][] zeros(Partitioning p) {
    double[][] w = new double[p.blocks()][];
    for (int b = 0; b < p.blocks(); b++) {
      w[b] = new double[p.blockSize(b)];
    }
    return w;
  }

  /** z<sub>ik</sub> = w<sub>k</sub>&middot;x<sub>i</sub> by a plain loop over the CSR rows: N&times;K. */
  private static double[][] naiveMargins(SparseDataset data, double[][] matrix) {
    int n = data.numExamples();
    double[][] z = new double[n][matrix.length];
    for (int i = 0; i < n; i++) {
      for (int p = data.rowOffsets()[i]; p < data.rowOffsets()[i + 1]; p++) {
        for (int k = 0; k < matrix.length; k++) {
          z[i][k] += data.values()[p] * matrix[k][data.columns()[p]];
        }
      }
    }
    return z;
  }
}
