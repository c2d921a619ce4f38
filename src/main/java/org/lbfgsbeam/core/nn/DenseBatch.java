package org.lbfgsbeam.core.nn;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.data.SparseDataset;

/**
 * One batch of examples for a {@link MultilayerPerceptron}: a dense row-major feature matrix and,
 * per row, either an integer class label (for {@link Loss#SOFTMAX_CROSS_ENTROPY}) or a vector of
 * real targets (for {@link Loss#SQUARED_ERROR}).
 *
 * <table>
 *   <caption>Arrays and their shapes</caption>
 *   <tr><th>array</th><th>shape</th><th>contents</th></tr>
 *   <tr><td>{@link #x()}</td><td>double[rows&times;features]</td>
 *       <td>row-major: feature j of row i is {@code x[i*features + j]}; finite</td></tr>
 *   <tr><td>{@link #labels()}</td><td>int[rows]</td><td>class index &ge; 0 of each row (the
 *       network checks it is below its K)</td></tr>
 *   <tr><td>{@link #targets()}</td><td>double[rows&times;outputs]</td><td>row-major real targets;
 *       finite</td></tr>
 * </table>
 *
 * <p>Batches hold up to millions of values, so the factories take ownership of the arrays without
 * copying, and the accessors return those same arrays: callers must not modify them (the batch is
 * immutable only as long as they don't; {@link MlpObjective} re-checks its inputs on every call).
 * Java serialization carries the batch to workers within a job; it is not a storage format.
 */
public final class DenseBatch implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int rows;
  private final int features;
  private final double[] x;
  private final int[] labels;
  private final double[] targets;
  private final int outputs;

  private DenseBatch(int rows, int features, double[] x, int[] labels, double[] targets,
      int outputs) {
    this.rows = rows;
    this.features = features;
    this.x = x;
    this.labels = labels;
    this.targets = targets;
    this.outputs = outputs;
  }

  /**
   * A batch of {@code labels.length} rows with class labels.
   *
   * @param features the number of features per row, &ge; 1
   * @param x rows&times;features row-major, finite; taken without copying
   * @param labels int[rows], class indices &ge; 0; taken without copying
   * @throws IllegalArgumentException naming the offending value if a shape or value is wrong
   */
  public static DenseBatch classification(int features, double[] x, int[] labels) {
    Checks.checkArgument(labels != null, "labels must not be null");
    int rows = labels.length;
    checkFeatures(rows, features, x);
    for (int i = 0; i < rows; i++) {
      Checks.checkArgument(labels[i] >= 0, "labels[%s] must be a class index >= 0, but was: %s", i,
          labels[i]);
    }
    return new DenseBatch(rows, features, x, labels, null, 0);
  }

  /**
   * A batch of {@code targets.length / outputs} rows with real targets.
   *
   * @param features the number of features per row, &ge; 1
   * @param x rows&times;features row-major, finite; taken without copying
   * @param outputs the number of targets per row, &ge; 1
   * @param targets rows&times;outputs row-major, finite; taken without copying
   * @throws IllegalArgumentException naming the offending value if a shape or value is wrong
   */
  public static DenseBatch regression(int features, double[] x, int outputs, double[] targets) {
    Checks.checkArgument(outputs >= 1, "outputs must be positive, but was: %s", outputs);
    Checks.checkArgument(targets != null, "targets must not be null");
    Checks.checkArgument(targets.length % outputs == 0,
        "targets must hold rows x outputs = rows x %s values, but had: %s", outputs,
        targets.length);
    int rows = targets.length / outputs;
    checkFeatures(rows, features, x);
    int bad = firstNonFinite(targets);
    Checks.checkArgument(bad < 0, "targets must be finite, but targets[%s] (row %s, output %s) was:"
        + " %s", bad, bad / outputs, bad % outputs, bad < 0 ? 0 : targets[bad]);
    return new DenseBatch(rows, features, x, null, targets, outputs);
  }

  /**
   * The dataset's examples, in order, cut into dense classification batches of {@code batchSize}
   * rows (the last one holds the remaining N mod batchSize rows when that is not 0), with
   * {@code data.numFeatures()} features and the dataset's class indices as labels. An empty dataset
   * gives no batches.
   *
   * @throws IllegalArgumentException if {@code batchSize < 1}, the dataset has no features, or a
   *     batch would exceed 2<sup>31</sup>&minus;1 values
   */
  public static List<DenseBatch> fromDataset(SparseDataset data, int batchSize) {
    Checks.checkArgument(data != null, "data must not be null");
    Checks.checkArgument(batchSize >= 1, "batchSize must be positive, but was: %s", batchSize);
    int n = data.numExamples();
    int d = data.numFeatures();
    Checks.checkArgument(d >= 1, "the dataset must have at least one feature, but had: %s", d);
    Checks.checkArgument((long) Math.min(batchSize, n) * d <= Integer.MAX_VALUE,
        "a batch of %s rows x %s features exceeds 2^31 - 1 values; use a smaller batchSize",
        Math.min(batchSize, n), d);
    int[] offsets = data.rowOffsets();
    int[] columns = data.columns();
    double[] values = data.values();
    int[] allLabels = data.labels();
    List<DenseBatch> out = new ArrayList<>((n + batchSize - 1) / batchSize);
    for (int start = 0; start < n; start += batchSize) {
      int rows = Math.min(batchSize, n - start);
      double[] x = new double[rows * d];
      int[] labels = new int[rows];
      for (int r = 0; r < rows; r++) {
        int i = start + r;
        for (int p = offsets[i]; p < offsets[i + 1]; p++) {
          x[r * d + columns[p]] = values[p];
        }
        labels[r] = allLabels[i];
      }
      out.add(classification(d, x, labels));
    }
    return out;
  }

  private static void checkFeatures(int rows, int features, double[] x) {
    Checks.checkArgument(rows >= 1, "a batch needs at least one row, but had: %s", rows);
    Checks.checkArgument(features >= 1, "features must be positive, but was: %s", features);
    Checks.checkArgument(x != null, "x must not be null");
    Checks.checkArgument((long) rows * features == x.length,
        "x must hold rows x features = %s x %s = %s values, but had: %s", rows, features,
        (long) rows * features, x.length);
    checkFinite(x, features);
  }

  /**
   * Throws naming the first non-finite entry of a row-major matrix with {@code features} columns.
   */
  static void checkFinite(double[] x, int features) {
    int bad = firstNonFinite(x);
    if (bad >= 0) {
      throw new IllegalArgumentException(String.format(
          "feature values must be finite, but x[%d] (row %d, feature %d) was: %s", bad,
          bad / features, bad % features, x[bad]));
    }
  }

  private static int firstNonFinite(double[] a) {
    for (int i = 0; i < a.length; i++) {
      if (!Double.isFinite(a[i])) {
        return i;
      }
    }
    return -1;
  }

  /** The number of examples. */
  public int rows() {
    return rows;
  }

  /** The number of features per example. */
  public int features() {
    return features;
  }

  /** rows&times;features row-major feature values; do not modify. */
  public double[] x() {
    return x;
  }

  /** Whether the rows carry class labels ({@link #labels()}) rather than real targets. */
  public boolean hasLabels() {
    return labels != null;
  }

  /**
   * int[rows] class indices; do not modify.
   *
   * @throws IllegalStateException if the batch has real targets instead
   */
  public int[] labels() {
    Checks.checkState(labels != null, "this batch has real targets, not class labels");
    return labels;
  }

  /**
   * rows&times;outputs row-major real targets; do not modify.
   *
   * @throws IllegalStateException if the batch has class labels instead
   */
  public double[] targets() {
    Checks.checkState(targets != null, "this batch has class labels, not real targets");
    return targets;
  }

  /** The number of real targets per row; 0 for a batch with class labels. */
  public int outputs() {
    return outputs;
  }

  /**
   * This batch of class labels as real targets for {@link Loss#SQUARED_ERROR} on K = {@code classes}
   * outputs: row i's target is the one-hot vector of its label. The features are shared, not copied.
   *
   * @throws IllegalStateException if the batch has real targets already
   */
  public DenseBatch withOneHotTargets(int classes) {
    int[] y = labels();
    Checks.checkArgument(classes >= 1, "classes must be positive, but was: %s", classes);
    double[] t = new double[Math.multiplyExact(rows, classes)];
    for (int i = 0; i < rows; i++) {
      Checks.checkArgument(y[i] < classes, "row %s has class %s, but there are %s classes", i,
          y[i], classes);
      t[i * classes + y[i]] = 1;
    }
    return regression(features, x, classes, t);
  }

  /**
   * This batch with its own inputs as real targets (an autoencoder's, for {@link
   * Loss#SQUARED_ERROR} on as many outputs as features): the targets are a copy of the features.
   */
  public DenseBatch withInputsAsTargets() {
    return regression(features, x, features, x.clone());
  }

  /** A one-line summary; never the arrays. */
  @Override
  public String toString() {
    return "DenseBatch{rows=" + rows + ", features=" + features
        + (labels != null ? ", labels" : ", outputs=" + outputs) + "}";
  }
}
