package org.lbfgsbeam.core.objective;

import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.partition.Partitioning;

/**
 * An L2-regularised generalized linear model with one weight per feature (no bias) in model-parallel
 * form: the weight vector w (length D) is split into blocks of <b>features</b>. With margins
 * m<sub>i</sub> = w&middot;x<sub>i</sub> over the N examples:
 * <pre>
 *   LOGISTIC: f(w) = (1/N)  &Sigma;<sub>i</sub> [ log(1 + exp(m<sub>i</sub>)) &minus; t<sub>i</sub> m<sub>i</sub> ] + (&lambda;/2) &Vert;w&Vert;&sup2;,   r<sub>i</sub> = &sigma;(m<sub>i</sub>) &minus; t<sub>i</sub>
 *   SQUARED:  f(w) = (1/2N) &Sigma;<sub>i</sub> (m<sub>i</sub> &minus; y<sub>i</sub>)&sup2;                          + (&lambda;/2) &Vert;w&Vert;&sup2;,   r<sub>i</sub> = m<sub>i</sub> &minus; y<sub>i</sub>
 *   &nabla;f = (1/N) X<sup>T</sup> r + &lambda; w
 * </pre>
 * For LOGISTIC the data must have exactly two classes and t<sub>i</sub> = 1 iff example i is of class
 * index 1 (the larger label, +1 for LIBSVM's &minus;1/+1 sets); the optimum value of binary logistic
 * regression with &lambda; equals that of the two-class {@link SoftmaxObjective} with 2&lambda;. For
 * SQUARED, y<sub>i</sub> is the example's original integer label,
 * {@code classLabels()[labels()[i]]}, and any number of classes is allowed.
 *
 * <p><b>Layout.</b> Units are features, one entry each: {@code Partitioning.of(D, 1, blocks)}, and
 * block b holds w<sub>j</sub> for j in [first, first + count) at index j &minus; first; the blocks
 * concatenated in block order are w. Every block sees all examples but only their nonzeros in its
 * columns; the constructor transposes the data once to compressed sparse columns, in which a block
 * is one contiguous range (a second copy of the nonzeros, 12 bytes each, independent of P).
 * <ol>
 *   <li>margins: the block's partial margins m<sub>i</sub><sup>b</sup> = &Sigma;<sub>j in b</sub>
 *       x<sub>ij</sub> w<sub>j</sub> for all N examples (columns added in ascending order, so one
 *       block gives the same bits as a row-wise loop); the partial statistics are a copy of them;</li>
 *   <li>combine: m<sub>i</sub> = 0 + m<sub>i</sub><sup>0</sup> + m<sub>i</sub><sup>1</sup> + &hellip;
 *       in block order, then per example the loss and the residual r<sub>i</sub>; r (length N) is
 *       broadcast and the data loss is the sum of the losses in example order divided by N;</li>
 *   <li>gradient: g<sub>j</sub> = (&Sigma;<sub>i</sub> x<sub>ij</sub> r<sub>i</sub>) / N + &lambda;
 *       w<sub>j</sub>, summed over examples in ascending order (the order of {@link SoftmaxObjective}),
 *       and the block's share (&lambda;/2) &Vert;w<sub>b</sub>&Vert;&sup2;.</li>
 * </ol>
 *
 * <p><b>Stability.</b> The logistic loss of one example is softplus(s m) with s = +1 when t = 0 and
 * s = &minus;1 when t = 1 (since log(1 + e<sup>m</sup>) &minus; m = log(1 + e<sup>&minus;m</sup>)),
 * and softplus(u) = max(u, 0) + log1p(exp(&minus;|u|)): the exponent is never positive, so nothing
 * overflows, and no large terms cancel. Likewise r = &sigma;(m) for t = 0 and
 * r = &minus;&sigma;(&minus;m) for t = 1, with &sigma;(u) = 1/(1 + e<sup>&minus;u</sup>) for u &ge; 0 and
 * e<sup>u</sup>/(1 + e<sup>u</sup>) for u &lt; 0; margins of &plusmn;10<sup>4</sup> give exact
 * losses and residuals.
 */
public final class LinearModelObjective implements PartitionedObjective {

  /** The loss of one example. */
  public enum Loss {
    /** Binary logistic regression: log(1 + exp(m)) &minus; t m with t in {0, 1}. */
    LOGISTIC,
    /** Least squares: (m &minus; y)&sup2; / 2 with y the original label. */
    SQUARED
  }

  private final SparseDataset data;
  private final Loss loss;
  private final double lambda;
  private final Partitioning partitioning;
  /** double[N]: t<sub>i</sub> in {0, 1} for LOGISTIC, y<sub>i</sub> for SQUARED. */
  private final double[] targets;
  /** int[D+1]: column j's entries are colOffsets[j] .. colOffsets[j+1]-1 of rowIndices/colValues. */
  private final int[] colOffsets;
  /** int[nnz]: the example of each entry, ascending within a column. */
  private final int[] rowIndices;
  /** double[nnz]: x<sub>ij</sub>, parallel to rowIndices. */
  private final double[] colValues;

  /**
   * A linear model with {@code loss} on {@code data} with {@code blocks} feature blocks.
   *
   * @throws IllegalArgumentException naming the bad value if lambda is negative or not finite,
   *     {@code blocks} is not in [1, D], the data has no examples or no features, or the loss is
   *     LOGISTIC and the data does not have exactly two classes
   */
  public LinearModelObjective(SparseDataset data, Loss loss, double lambda, int blocks) {
    Checks.checkArgument(data != null, "data must not be null");
    Checks.checkArgument(loss != null, "loss must not be null");
    Checks.checkArgument(lambda >= 0 && Double.isFinite(lambda),
        "lambda must be finite and >= 0, but was: %s", lambda);
    int n = data.numExamples();
    int d = data.numFeatures();
    Checks.checkArgument(n >= 1, "a linear model needs at least one example, but the data has: %s",
        n);
    Checks.checkArgument(d >= 1, "a linear model needs at least one feature, but the data has D = %s",
        d);
    Checks.checkArgument(blocks >= 1 && blocks <= d,
        "linear-model partitions are blocks of features: partitions must be in [1, %s], but was: %s",
        d, blocks);
    Checks.checkArgument(loss != Loss.LOGISTIC || data.numClasses() == 2,
        "logistic loss needs exactly 2 classes, but the data has: %s", data.numClasses());
    this.data = data;
    this.loss = loss;
    this.lambda = lambda;
    this.partitioning = Partitioning.of(d, 1, blocks);
    this.targets = new double[n];
    int[] labels = data.labels();
    int[] classLabels = data.classLabels();
    for (int i = 0; i < n; i++) {
      targets[i] = loss == Loss.LOGISTIC ? (labels[i] == 1 ? 1 : 0) : classLabels[labels[i]];
    }
    // CSR (N x D) -> CSC: count per column, prefix sums, then place rows in ascending order.
    int[] rows = data.rowOffsets();
    int[] cols = data.columns();
    double[] vals = data.values();
    this.colOffsets = new int[d + 1];
    for (int c : cols) {
      colOffsets[c + 1]++;
    }
    for (int j = 0; j < d; j++) {
      colOffsets[j + 1] += colOffsets[j];
    }
    this.rowIndices = new int[cols.length];
    this.colValues = new double[cols.length];
    int[] next = new int[d];
    System.arraycopy(colOffsets, 0, next, 0, d);
    for (int i = 0; i < n; i++) {
      for (int p = rows[i]; p < rows[i + 1]; p++) {
        int q = next[cols[p]]++;
        rowIndices[q] = i;
        colValues[q] = vals[p];
      }
    }
  }

  public SparseDataset data() {
    return data;
  }

  public Loss loss() {
    return loss;
  }

  public double lambda() {
    return lambda;
  }

  @Override
  public Partitioning partitioning() {
    return partitioning;
  }

  /**
   * The block's partial margins, double[N]: X<sub>b</sub> w<sub>b</sub>
   * (N&times;D<sub>b</sub> times D<sub>b</sub>).
   */
  @Override
  public double[] margins(int block, double[] w) {
    return marginsInto(block, w, new double[data.numExamples()]); // a new array is zeros
  }

  @Override
  public double[] margins(int block, double[] w, double[] m) {
    java.util.Arrays.fill(m, 0);
    return marginsInto(block, w, m);
  }

  /** Adds the block's margins of w to {@code m} (zeros on entry); returns it. */
  private double[] marginsInto(int block, double[] w, double[] m) {
    int j0 = partitioning.firstUnit(block);
    int db = partitioning.unitCount(block);
    Checks.checkArgument(w.length == db, "block %s has %s weights, but was given: %s", block, db,
        w.length);
    // m: N
    for (int j = 0; j < db; j++) {
      double wj = w[j];
      for (int p = colOffsets[j0 + j]; p < colOffsets[j0 + j + 1]; p++) {
        m[rowIndices[p]] += colValues[p] * wj;
      }
    }
    return m;
  }

  /** A copy of the partial margins, double[N]. */
  @Override
  public double[] partialStatistics(int block, double[] margins) {
    return margins.clone();
  }

  /** Sums the partial margins in block order; broadcasts the residuals r, double[N]. */
  @Override
  public CombinedStatistics combine(double[][] partials) {
    Checks.checkArgument(partials.length == partitioning.blocks(),
        "expected the partial statistics of %s blocks, but got: %s", partitioning.blocks(),
        partials.length);
    int n = data.numExamples();
    double[] r = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      double m = 0.0;
      for (double[] p : partials) {
        m += p[i];
      }
      if (loss == Loss.LOGISTIC) {
        boolean positive = targets[i] == 1;
        sum += softplus(positive ? -m : m);
        r[i] = positive ? -sigmoid(-m) : sigmoid(m);
      } else {
        double residual = m - targets[i];
        sum += 0.5 * residual * residual;
        r[i] = residual;
      }
    }
    return new CombinedStatistics(r, sum / n);
  }

  /**
   * Writes g<sub>b</sub> = X<sub>b</sub><sup>T</sup> r / N + &lambda; w<sub>b</sub>
   * (D<sub>b</sub>&times;N times N); returns (&lambda;/2)&Vert;w<sub>b</sub>&Vert;&sup2;.
   */
  @Override
  public double gradient(int block, double[] w, double[] margins, double[] r, double[] g) {
    return gradientAt(block, w, 0, null, r, g);
  }

  @Override
  public double gradientAtTrial(int block, double[] x, double t, double[] d, double[] margins,
      double[] r, double[] g) {
    return gradientAt(block, x, t, d, r, g);
  }

  /** The gradient at w = x + t&middot;d (w = x when d is null), each w<sub>j</sub> formed once. */
  private double gradientAt(int block, double[] x, double t, double[] d, double[] r, double[] g) {
    int j0 = partitioning.firstUnit(block);
    int db = partitioning.unitCount(block);
    int n = data.numExamples();
    double share = 0;
    for (int j = 0; j < db; j++) {
      double s = 0;
      for (int p = colOffsets[j0 + j]; p < colOffsets[j0 + j + 1]; p++) {
        s += colValues[p] * r[rowIndices[p]];
      }
      double w = d == null ? x[j] : x[j] + t * d[j];
      g[j] = s / n + lambda * w;
      share += w * w;
    }
    return 0.5 * lambda * share;
  }

  /** The partial margins X<sub>b</sub> w<sub>b</sub> are linear in w. */
  @Override
  public boolean linearMargins() {
    return true;
  }

  /** (&lambda;/2)&Vert;w<sub>b</sub>&Vert;&sup2;, summed as {@link #gradient} sums it. */
  @Override
  public double valueShare(int block, double[] w, double[] margins, double[] r) {
    double share = 0;
    for (int j = 0; j < w.length; j++) {
      share += w[j] * w[j];
    }
    return 0.5 * lambda * share;
  }

  @Override
  public double valueShareAtTrial(int block, double[] x, double t, double[] d, double[] margins,
      double[] r) {
    double share = 0;
    for (int j = 0; j < x.length; j++) {
      double w = x[j] + t * d[j];
      share += w * w;
    }
    return 0.5 * lambda * share;
  }

  /**
   * The block's part of &nabla;f(w)&middot;d from the block's partial margins of d (double[N]):
   * (1/N) &Sigma;<sub>i</sub> r<sub>i</sub> (X<sub>b</sub>d<sub>b</sub>)<sub>i</sub> + &lambda;
   * w<sub>b</sub>&middot;d<sub>b</sub>, with r the broadcast residuals; summed over the blocks this is
   * (1/N) r&middot;Xd + &lambda; w&middot;d = &nabla;f&middot;d. No pass over the data.
   */
  @Override
  public double directionalDerivative(int block, double[] w, double[] margins, double[] zd,
      double[] r, double[] d) {
    return directionalDerivativeAt(w, 0, null, zd, r, d);
  }

  @Override
  public double directionalDerivativeAtTrial(int block, double[] x, double t, double[] d,
      double[] margins, double[] zd, double[] r) {
    return directionalDerivativeAt(x, t, d, zd, r, d);
  }

  /** At w = x + t&middot;{@code step} (w = x when {@code step} is null), along d. */
  private double directionalDerivativeAt(double[] x, double t, double[] step, double[] zd,
      double[] r, double[] d) {
    int n = data.numExamples();
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += r[i] * zd[i];
    }
    double wd = 0;
    for (int j = 0; j < x.length; j++) {
      double w = step == null ? x[j] : x[j] + t * step[j];
      wd += w * d[j];
    }
    return sum / n + lambda * wd;
  }

  /** log(1 + e<sup>u</sup>) without overflow: max(u, 0) + log1p(e<sup>&minus;|u|</sup>). */
  static double softplus(double u) {
    return Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));
  }

  /** 1 / (1 + e<sup>&minus;u</sup>), with a non-positive exponent on either side of 0. */
  static double sigmoid(double u) {
    if (u >= 0) {
      return 1 / (1 + Math.exp(-u));
    }
    double e = Math.exp(u);
    return e / (1 + e);
  }

  @Override
  public String toString() {
    return "LinearModelObjective{" + loss + ", lambda=" + lambda + ", " + partitioning + ", " + data
        + "}";
  }
}
