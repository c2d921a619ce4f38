package org.lbfgsbeam.transforms;

import java.util.Arrays;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.nn.Loss;

/**
 * The one scorer of networks ({@link NetworkModelFiles.Network}): the network's outputs
 * ({@code MultilayerPerceptron.scores}: softmax probabilities for cross-entropy, raw outputs for
 * squared error), ranked most probable first, ties to the smaller class as {@link SoftmaxScoring}
 * ranks them. {@link ScoreExamples} scores one example at a time ({@link #predict}); the command line
 * a whole data set in products of {@value #BATCH} rows ({@link #score}). A row's outputs do not
 * depend on the other rows of its product, but a BLAS may sum a product of 1000 rows in another order
 * than one of 1 row: the two agree to rounding (1e-12), not always to the bit.
 */
public final class NetworkScoring {
  /** Rows per product when a data set is scored. */
  public static final int BATCH = 1000;

  private NetworkScoring() {}

  /**
   * The top-{@code top} classes and their probabilities (a squared-error network: its raw outputs,
   * and a NaN log-loss) of every example of {@code data}, with the log-loss when {@code trueClass}
   * (class indices of the model) is given. Features at or beyond the network's inputs are ignored.
   */
  public static ClassScores score(NetworkModelFiles.Network model, SparseDataset data,
      int[] trueClass, int top) {
    int n = data.numExamples();
    int d = model.features();
    int k = model.classes();
    Checks.checkArgument(top >= 1 && top <= k, "top must be in [1, %s], but was: %s", k, top);
    Checks.checkArgument(trueClass == null || trueClass.length == n,
        "trueClass must have one entry per example");
    int[] topClass = new int[n * top];
    double[] topProbability = new double[n * top];
    double[] logLoss = trueClass == null ? null : new double[n];
    int[] offsets = data.rowOffsets();
    int[] columns = data.columns();
    double[] values = data.values();
    boolean crossEntropy = model.network().loss() == Loss.SOFTMAX_CROSS_ENTROPY;
    for (int from = 0; from < n; from += BATCH) {
      int rows = Math.min(BATCH, n - from);
      double[] x = new double[rows * d];
      for (int r = 0; r < rows; r++) {
        for (int p = offsets[from + r]; p < offsets[from + r + 1]; p++) {
          if (columns[p] < d) {
            x[r * d + columns[p]] = values[p];
          }
        }
      }
      double[] p = model.network().scores(model.theta(), x, rows);
      for (int r = 0; r < rows; r++) {
        int i = from + r;
        rank(p, r * k, k, top, topClass, topProbability, i * top);
        if (logLoss != null) {
          // Squared-error networks output scores, not probabilities: no log-loss.
          logLoss[i] = crossEntropy ? -Math.log(p[r * k + trueClass[i]]) : Double.NaN;
        }
      }
    }
    return new ClassScores(n, top, topClass, topProbability, logLoss);
  }

  /**
   * Example {@code id}'s top-{@code topK} labels and probabilities.
   *
   * @param x its features, every index at most the network's inputs
   */
  public static Prediction predict(NetworkModelFiles.Network model, long id, SparseFeatures x,
      int topK) {
    int d = model.features();
    Checks.checkArgument(x.maxIndex() <= d, "feature index %s is beyond the model's %s features",
        x.maxIndex(), d);
    double[] dense = new double[d];
    for (int p = 0; p < x.size(); p++) {
      dense[x.index(p) - 1] = x.value(p); // 1-based
    }
    double[] p = model.network().scores(model.theta(), dense, 1);
    int[] classes = new int[topK];
    double[] probabilities = new double[topK];
    rank(p, 0, p.length, topK, classes, probabilities, 0);
    int[] labels = model.labels();
    for (int r = 0; r < topK; r++) {
      classes[r] = labels[classes[r]];
    }
    return Prediction.owning(id, classes, probabilities);
  }

  /**
   * Writes the {@code top} largest of the k outputs at {@code p[off, off + k)} (larger first, ties to
   * the smaller class) as classes and values at {@code at} of the two arrays.
   */
  private static void rank(double[] p, int off, int k, int top, int[] classes, double[] values,
      int at) {
    Integer[] order = new Integer[k];
    for (int c = 0; c < k; c++) {
      order[c] = c;
    }
    Arrays.sort(order, (a, b) -> p[off + a] != p[off + b] ? Double.compare(p[off + b], p[off + a])
        : Integer.compare(a, b));
    for (int t = 0; t < top; t++) {
      classes[at + t] = order[t];
      values[at + t] = p[off + order[t]];
    }
  }
}
