package org.lbfgsbeam.core.data;

import java.util.Arrays;
import org.lbfgsbeam.core.Checks;

/**
 * An immutable multi-class training set in compressed sparse row (CSR) form: N examples, D
 * features, K classes.
 *
 * <table>
 *   <caption>Arrays and their shapes</caption>
 *   <tr><th>array</th><th>shape</th><th>contents</th></tr>
 *   <tr><td>{@link #rowOffsets()}</td><td>int[N+1]</td>
 *       <td>row i holds entries {@code rowOffsets[i] .. rowOffsets[i+1]-1};
 *       {@code rowOffsets[0] = 0},
 *       non-decreasing, {@code rowOffsets[N] = nnz}</td></tr>
 *   <tr><td>{@link #columns()}</td><td>int[nnz]</td>
 *       <td>0-based feature index in {@code [0, D)}, strictly ascending within a row (file index
 *       {@code j} is column {@code j-1})</td></tr>
 *   <tr><td>{@link #values()}</td><td>double[nnz]</td><td>finite feature values</td></tr>
 *   <tr><td>{@link #labels()}</td><td>int[N]</td><td>class index in {@code [0, K)} of each
 *       example</td></tr>
 *   <tr><td>{@link #classLabels()}</td><td>int[K]</td><td>the original integer label of each class,
 *       strictly ascending: class {@code c} is label {@code classLabels[c]}</td></tr>
 * </table>
 *
 * <p>Datasets reach 10<sup>7</sup> nonzeros, so the constructor takes ownership of the arrays it is
 * given without copying them, and the accessors return those same arrays. Callers must not modify
 * an array passed to the constructor or returned by an accessor; the dataset is immutable only as
 * long as they don't. Every shape and range above is validated (in O(N + nnz + K)) when a dataset
 * is built.
 *
 * <p>D is a property of the dataset, not of its rows: for a file it is the largest feature index
 * present, and {@link #withNumFeatures(int)} widens a test set to its training set's D. Likewise
 * {@link #withClassLabels(int[])} re-indexes a test set's classes to its training set's.
 *
 * <p>A set read from a file also knows the line of the first example holding its largest feature
 * index ({@link #largestIndexLine()}), so that an index far beyond the others can be shown where it
 * is. That line is where the set came from, not what it holds: {@link #equals} ignores it.
 */
public final class SparseDataset {
  private final int numFeatures;
  private final int[] classLabels;
  private final int[] rowOffsets;
  private final int[] columns;
  private final double[] values;
  private final int[] labels;
  private final long largestIndexLine;

  /**
   * Builds a dataset from its arrays, which it takes ownership of (see the class comment).
   *
   * @param numFeatures D, at least 1 + the largest column index
   * @param classLabels int[K], the original labels of the classes, strictly ascending
   * @param rowOffsets int[N+1], starting 0, non-decreasing, ending at nnz
   * @param columns int[nnz], 0-based feature indices, strictly ascending within each row
   * @param values double[nnz], finite
   * @param labels int[N], class indices in [0, K)
   * @throws IllegalArgumentException naming the offending value if any shape or range is violated
   */
  public SparseDataset(int numFeatures, int[] classLabels, int[] rowOffsets, int[] columns,
      double[] values, int[] labels) {
    this(numFeatures, classLabels, rowOffsets, columns, values, labels, 0);
  }

  /** The constructor's checks, with the source line of the largest feature index (0: unknown). */
  SparseDataset(int numFeatures, int[] classLabels, int[] rowOffsets, int[] columns,
      double[] values, int[] labels, long largestIndexLine) {
    Checks.checkArgument(largestIndexLine >= 0,
        "largestIndexLine must be a 1-based line or 0, but was: %s", largestIndexLine);
    Checks.checkArgument(numFeatures >= 0, "numFeatures must be non-negative, but was: %s",
        numFeatures);
    Checks.checkArgument(classLabels != null, "classLabels must not be null");
    Checks.checkArgument(rowOffsets != null, "rowOffsets must not be null");
    Checks.checkArgument(columns != null, "columns must not be null");
    Checks.checkArgument(values != null, "values must not be null");
    Checks.checkArgument(labels != null, "labels must not be null");
    checkStrictlyAscending("classLabels", classLabels);
    Checks.checkArgument(rowOffsets.length >= 1,
        "rowOffsets must have length numExamples + 1 >= 1, but had length: %s", rowOffsets.length);
    int n = rowOffsets.length - 1;
    Checks.checkArgument(labels.length == n,
        "labels must have length numExamples = rowOffsets.length - 1 = %s, but had length: %s", n,
        labels.length);
    Checks.checkArgument(values.length == columns.length,
        "values must have the length of columns (%s), but had length: %s", columns.length,
        values.length);
    Checks.checkArgument(rowOffsets[0] == 0, "rowOffsets[0] must be 0, but was: %s", rowOffsets[0]);
    Checks.checkArgument(rowOffsets[n] == columns.length,
        "rowOffsets[%s] must equal nnz = columns.length = %s, but was: %s", n, columns.length,
        rowOffsets[n]);
    checkRows(numFeatures, rowOffsets, columns);
    for (int k = 0; k < values.length; k++) {
      if (!Double.isFinite(values[k])) {
        throw new IllegalArgumentException(
            String.format("values[%d] must be finite, but was: %s", k, values[k]));
      }
    }
    int numClasses = classLabels.length;
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= numClasses) {
        throw new IllegalArgumentException(String.format(
            "labels[%d] must be a class index in [0, %d), but was: %d", i, numClasses, labels[i]));
      }
    }
    this.numFeatures = numFeatures;
    this.classLabels = classLabels;
    this.rowOffsets = rowOffsets;
    this.columns = columns;
    this.values = values;
    this.labels = labels;
    this.largestIndexLine = largestIndexLine;
  }

  /** Same as the constructor; reads better at call sites that build small sets by hand. */
  public static SparseDataset of(int numFeatures, int[] classLabels, int[] rowOffsets,
      int[] columns, double[] values, int[] labels) {
    return new SparseDataset(numFeatures, classLabels, rowOffsets, columns, values, labels);
  }

  /** N, the number of examples (rows). */
  public int numExamples() {
    return rowOffsets.length - 1;
  }

  /** D, the number of features (columns); every column index is below it. */
  public int numFeatures() {
    return numFeatures;
  }

  /** K, the number of classes. */
  public int numClasses() {
    return classLabels.length;
  }

  /** The number of stored nonzeros, {@code rowOffsets()[N]}. */
  public int nnz() {
    return columns.length;
  }

  /** int[N+1] row start offsets into {@link #columns()} and {@link #values()}; do not modify. */
  public int[] rowOffsets() {
    return rowOffsets;
  }

  /** int[nnz] 0-based feature indices, strictly ascending within a row; do not modify. */
  public int[] columns() {
    return columns;
  }

  /** double[nnz] feature values, parallel to {@link #columns()}; do not modify. */
  public double[] values() {
    return values;
  }

  /** int[N] class index in [0, K) of each example; do not modify. */
  public int[] labels() {
    return labels;
  }

  /** int[K] original integer label of each class, strictly ascending; do not modify. */
  public int[] classLabels() {
    return classLabels;
  }

  /**
   * The 1-based line of the file this set was read from ({@link LibsvmReader}) that holds the first
   * example with the largest feature index, or 0 when that is not known (a set built from arrays,
   * an IDX file, a prepared data file, or one whose D was widened).
   */
  public long largestIndexLine() {
    return largestIndexLine;
  }

  /**
   * The number of columns with at least one stored entry (at most min(D, nnz)). O(nnz) time with a
   * bit set of D bits, or O(nnz log nnz) with a sorted copy of the columns when that is the smaller
   * of the two (D/8 &gt; 4&middot;nnz bytes: a sparse index space), so the scratch space is never
   * more than a third of the set's own nonzeros (12 bytes each).
   */
  public int distinctFeatures() {
    int nnz = columns.length;
    if (nnz == 0) {
      return 0;
    }
    if (numFeatures / 8L <= 4L * nnz) {
      java.util.BitSet used = new java.util.BitSet(numFeatures);
      for (int c : columns) {
        used.set(c);
      }
      return used.cardinality();
    }
    int[] sorted = columns.clone();
    Arrays.sort(sorted);
    int distinct = 1;
    for (int k = 1; k < nnz; k++) {
      if (sorted[k] != sorted[k - 1]) {
        distinct++;
      }
    }
    return distinct;
  }

  /**
   * This dataset with D = {@code d}, sharing every array; for a test set whose largest feature
   * index is below its training set's D.
   *
   * @throws IllegalArgumentException if {@code d} is below the current D
   */
  public SparseDataset withNumFeatures(int d) {
    Checks.checkArgument(d >= numFeatures,
        "numFeatures can only grow, from %s, but was: %s", numFeatures, d);
    if (d == numFeatures) {
      return this;
    }
    return new SparseDataset(d, classLabels, rowOffsets, columns, values, labels, 0);
  }

  /**
   * This dataset with its classes re-indexed to a training set's: the result's class labels are
   * {@code trainingClassLabels} (which it takes ownership of), and each example keeps its original
   * integer label. Classes of the training set that this set never uses are fine; the reverse is
   * not.
   *
   * @param trainingClassLabels the training set's {@link #classLabels()}, strictly ascending
   * @throws IllegalArgumentException naming the label if one of this set's labels is not among
   *     {@code trainingClassLabels}, or if those are not strictly ascending
   */
  public SparseDataset withClassLabels(int[] trainingClassLabels) {
    Checks.checkArgument(trainingClassLabels != null, "trainingClassLabels must not be null");
    checkStrictlyAscending("trainingClassLabels", trainingClassLabels);
    if (Arrays.equals(trainingClassLabels, classLabels)) {
      return this;
    }
    int[] classMap = new int[classLabels.length];
    for (int c = 0; c < classLabels.length; c++) {
      int target = Arrays.binarySearch(trainingClassLabels, classLabels[c]);
      Checks.checkArgument(target >= 0, "label %s is not among the training class labels %s",
          classLabels[c], abbreviate(trainingClassLabels));
      classMap[c] = target;
    }
    int[] remapped = new int[labels.length];
    for (int i = 0; i < labels.length; i++) {
      remapped[i] = classMap[labels[i]];
    }
    return new SparseDataset(numFeatures, trainingClassLabels, rowOffsets, columns, values,
        remapped, largestIndexLine);
  }

  /**
   * The examples of {@code parts}, one after the other in the order given: the set that reading
   * the concatenation of the parts' files as one file gives ({@link LibsvmReader}), so that a set
   * written as shards trains to the same bits as the same lines in one file.
   *
   * <ul>
   *   <li>D is the largest D of the parts (one file's D is its largest index, the largest of any
   *       of its pieces').
   *   <li>The classes are the distinct labels of all the parts in ascending order, as one file's
   *       are, and each example keeps its original integer label: a part's class c becomes the
   *       class of its {@code classLabels[c]} among them. A label that only one part holds is
   *       still a class of the whole.
   *   <li>Parts without examples (empty shards) add nothing.
   *   <li>{@link #largestIndexLine()} is the single part's when there is one, else 0: a line
   *       number belongs to one part's file, which the whole does not know.
   * </ul>
   *
   * <p>A single part is returned as it is; otherwise the result has new arrays (the parts are not
   * changed), built in O(N + nnz + K log K) time.
   *
   * @param parts at least one dataset, in the order their examples are to follow each other
   * @throws IllegalArgumentException if {@code parts} is empty or null, or holds more than a Java
   *     array's examples or nonzeros between them
   */
  public static SparseDataset concatenate(java.util.List<SparseDataset> parts) {
    Checks.checkArgument(parts != null && !parts.isEmpty(),
        "parts must hold at least one dataset, but was: %s", parts);
    if (parts.size() == 1) {
      return parts.get(0);
    }
    long examples = 0;
    long nnz = 0;
    int numFeatures = 0;
    java.util.TreeSet<Integer> distinct = new java.util.TreeSet<>();
    for (SparseDataset part : parts) {
      Checks.checkArgument(part != null, "parts must not hold null, but was: %s", parts);
      examples += part.numExamples();
      nnz += part.nnz();
      numFeatures = Math.max(numFeatures, part.numFeatures);
      for (int label : part.classLabels) {
        distinct.add(label);
      }
    }
    long maxLength = Integer.MAX_VALUE - 8;
    Checks.checkArgument(examples < maxLength && nnz <= maxLength,
        "parts hold %s examples and %s nonzeros; at most %s of each fit in one dataset", examples,
        nnz, maxLength - 1);
    int[] classLabels = distinct.stream().mapToInt(Integer::intValue).toArray();
    int[] rowOffsets = new int[(int) examples + 1];
    int[] columns = new int[(int) nnz];
    double[] values = new double[(int) nnz];
    int[] labels = new int[(int) examples];
    int row = 0; // rows copied so far; the next part's first row
    int at = 0; // nonzeros copied so far
    for (SparseDataset part : parts) {
      int[] classMap = new int[part.classLabels.length]; // part's class -> the whole's class
      for (int c = 0; c < classMap.length; c++) {
        classMap[c] = Arrays.binarySearch(classLabels, part.classLabels[c]);
      }
      int n = part.numExamples();
      for (int i = 0; i < n; i++) {
        labels[row + i] = classMap[part.labels[i]];
        rowOffsets[row + i + 1] = at + part.rowOffsets[i + 1];
      }
      System.arraycopy(part.columns, 0, columns, at, part.nnz());
      System.arraycopy(part.values, 0, values, at, part.nnz());
      row += n;
      at += part.nnz();
    }
    return new SparseDataset(numFeatures, classLabels, rowOffsets, columns, values, labels, 0);
  }

  /**
   * Two datasets are equal when D and all five arrays are equal (values compared bitwise); the
   * source line of {@link #largestIndexLine()} does not count.
   */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof SparseDataset)) {
      return false;
    }
    SparseDataset that = (SparseDataset) o;
    return numFeatures == that.numFeatures
        && Arrays.equals(classLabels, that.classLabels)
        && Arrays.equals(rowOffsets, that.rowOffsets)
        && Arrays.equals(labels, that.labels)
        && Arrays.equals(columns, that.columns)
        && Arrays.equals(values, that.values);
  }

  @Override
  public int hashCode() {
    int h = numFeatures;
    h = 31 * h + Arrays.hashCode(classLabels);
    h = 31 * h + Arrays.hashCode(rowOffsets);
    h = 31 * h + Arrays.hashCode(labels);
    h = 31 * h + Arrays.hashCode(columns);
    return 31 * h + Arrays.hashCode(values);
  }

  /** A one-line summary: N, D, K and nnz; never the arrays. */
  @Override
  public String toString() {
    return "SparseDataset{N=" + numExamples() + ", D=" + numFeatures + ", K=" + numClasses()
        + ", nnz=" + nnz() + "}";
  }

  private static void checkRows(int numFeatures, int[] rowOffsets, int[] columns) {
    int nnz = columns.length;
    for (int i = 0; i + 1 < rowOffsets.length; i++) {
      int start = rowOffsets[i];
      int end = rowOffsets[i + 1];
      if (end < start || end > nnz) {
        throw new IllegalArgumentException(String.format(
            "rowOffsets must be non-decreasing and at most nnz = %d, but rowOffsets[%d] = %d"
                + " follows rowOffsets[%d] = %d", nnz, i + 1, end, i, start));
      }
      int previous = -1;
      for (int k = start; k < end; k++) {
        int column = columns[k];
        if (column <= previous || column >= numFeatures) {
          throw new IllegalArgumentException(column < 0 || column >= numFeatures
              ? String.format("columns[%d] (row %d) must be in [0, numFeatures = %d), but was: %d",
                  k, i, numFeatures, column)
              : String.format("columns must be strictly ascending within a row, but in row %d"
                  + " columns[%d] = %d follows %d", i, k, column, previous));
        }
        previous = column;
      }
    }
  }

  private static void checkStrictlyAscending(String name, int[] a) {
    for (int c = 1; c < a.length; c++) {
      if (a[c] <= a[c - 1]) {
        throw new IllegalArgumentException(String.format(
            "%s must be strictly ascending, but %s[%d] = %d follows %d", name, name, c, a[c],
            a[c - 1]));
      }
    }
  }

  private static String abbreviate(int[] a) {
    if (a.length <= 20) {
      return Arrays.toString(a);
    }
    return Arrays.toString(Arrays.copyOf(a, 20)).replace("]", ", ... (" + a.length + " labels)]");
  }
}
