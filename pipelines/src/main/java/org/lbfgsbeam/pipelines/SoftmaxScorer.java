package org.lbfgsbeam.pipelines;

import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.data.SparseDataset;

/**
 * Scores a set of examples with a softmax model (W of K&times;D, no bias, as {@code SoftmaxObjective}
 * defines it) one class block at a time, so only one block of W is ever in memory:
 * <pre>
 *   z<sub>ik</sub> = w<sub>k</sub>&middot;x<sub>i</sub>,   log Z<sub>i</sub> = log &Sigma;<sub>k</sub> exp(z<sub>ik</sub>),   p<sub>ik</sub> = exp(z<sub>ik</sub> &minus; log Z<sub>i</sub>)
 * </pre>
 * Per example it keeps the running maximum M<sub>i</sub> and S<sub>i</sub> = &Sigma; exp(z &minus;
 * M<sub>i</sub>) over the classes seen so far (rescaled when M<sub>i</sub> grows, so nothing
 * overflows), the margin of the true class, and the k largest margins. Ties go to the smaller class
 * index, whatever order the blocks come in.
 *
 * <p>Features at or beyond the model's D (a test set wider than the training set) are ignored: the
 * model has no weight for them, as if it were 0. Memory: N&times;(3 + 2k) numbers beside the data.
 */
final class SoftmaxScorer {
  private final SparseDataset data;
  private final int features;
  private final int classes;
  private final int top;
  private final int[] trueClass;
  private final double[] max;
  private final double[] sum;
  private final double[] trueMargin;
  /** N&times;top, best first; class -1 and margin -&infin; for empty slots. */
  private final int[] topClass;
  private final double[] topMargin;
  private int classesSeen;

  /**
   * @param data the examples
   * @param trueClass int[N], each example's class index in the model, or null when unknown (no
   *     log-loss then)
   * @param features the model's D
   * @param classes the model's K
   * @param top how many of the best classes to keep per example, in [1, K]
   */
  SoftmaxScorer(SparseDataset data, int[] trueClass, int features, int classes, int top) {
    Checks.checkArgument(top >= 1 && top <= classes, "top must be in [1, %s], but was: %s", classes,
        top);
    Checks.checkArgument(trueClass == null || trueClass.length == data.numExamples(),
        "trueClass must have one entry per example");
    int n = data.numExamples();
    this.data = data;
    this.features = features;
    this.classes = classes;
    this.top = top;
    this.trueClass = trueClass;
    this.max = new double[n];
    this.sum = new double[n];
    this.trueMargin = new double[n];
    this.topClass = new int[n * top];
    this.topMargin = new double[n * top];
    java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
    java.util.Arrays.fill(topClass, -1);
    java.util.Arrays.fill(topMargin, Double.NEGATIVE_INFINITY);
  }

  /**
   * Adds the classes [firstClass, firstClass + count) of W.
   *
   * @param featureMajor double[D&times;count], entry j&middot;count + c is W[firstClass + c][j]
   */
  void addBlock(int firstClass, int count, double[] featureMajor) {
    Checks.checkArgument(featureMajor.length == (long) features * count,
        "block of %s classes must have %s entries, but had %s", count, (long) features * count,
        featureMajor.length);
    int[] rows = data.rowOffsets();
    int[] cols = data.columns();
    double[] vals = data.values();
    double[] z = new double[count];
    for (int i = 0; i < data.numExamples(); i++) {
      java.util.Arrays.fill(z, 0);
      for (int p = rows[i]; p < rows[i + 1] && cols[p] < features; p++) {
        int wj = cols[p] * count;
        double v = vals[p];
        for (int c = 0; c < count; c++) {
          z[c] += v * featureMajor[wj + c];
        }
      }
      double blockMax = Double.NEGATIVE_INFINITY;
      for (double zc : z) {
        blockMax = Math.max(blockMax, zc);
      }
      double m = Math.max(max[i], blockMax);
      double s = max[i] == Double.NEGATIVE_INFINITY ? 0 : sum[i] * Math.exp(max[i] - m);
      for (int c = 0; c < count; c++) {
        s += Math.exp(z[c] - m);
        offer(i, firstClass + c, z[c]);
      }
      max[i] = m;
      sum[i] = s;
      if (trueClass != null) {
        int y = trueClass[i] - firstClass;
        if (y >= 0 && y < count) {
          trueMargin[i] = z[y];
        }
      }
    }
    classesSeen += count;
  }

  /** Inserts class k with margin zk into example i's top list if it belongs there. */
  private void offer(int i, int k, double zk) {
    int base = i * top;
    int last = base + top - 1;
    if (!better(zk, k, topMargin[last], topClass[last])) {
      return;
    }
    int at = last;
    while (at > base && better(zk, k, topMargin[at - 1], topClass[at - 1])) {
      topMargin[at] = topMargin[at - 1];
      topClass[at] = topClass[at - 1];
      at--;
    }
    topMargin[at] = zk;
    topClass[at] = k;
  }

  /** Whether (z, k) ranks above (otherZ, otherK): a larger margin, or the same and a smaller class. */
  private static boolean better(double z, int k, double otherZ, int otherK) {
    return otherK < 0 || z > otherZ || (z == otherZ && k < otherK);
  }

  /** The scores, once every class has been added. */
  Scores finish() {
    Checks.checkState(classesSeen == classes, "%s of %s classes were scored", classesSeen, classes);
    int n = data.numExamples();
    double[] logLoss = trueClass == null ? null : new double[n];
    double[] probability = new double[n * top];
    for (int i = 0; i < n; i++) {
      double logZ = max[i] + Math.log(sum[i]);
      for (int r = 0; r < top; r++) {
        probability[i * top + r] = Math.exp(topMargin[i * top + r] - logZ);
      }
      if (logLoss != null) {
        logLoss[i] = logZ - trueMargin[i];
      }
    }
    return new Scores(n, top, topClass.clone(), probability, logLoss);
  }

  /**
   * Per example the {@code top} most probable classes, best first.
   *
   * @param examples N
   * @param top k
   * @param topClass int[N&times;k], class indices
   * @param topProbability double[N&times;k], their probabilities
   * @param logLoss double[N], &minus;log p<sub>i,y<sub>i</sub></sub> = log Z<sub>i</sub> &minus;
   *     z<sub>i,y<sub>i</sub></sub>, or null when the true classes were not given
   */
  record Scores(int examples, int top, int[] topClass, double[] topProbability, double[] logLoss) {
    int predicted(int i) {
      return topClass[i * top];
    }

    int classAt(int i, int rank) {
      return topClass[i * top + rank];
    }

    double probabilityAt(int i, int rank) {
      return topProbability[i * top + rank];
    }
  }
}
