package org.lbfgsbeam.transforms;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.lbfgsbeam.core.Checks;

/**
 * The pure-Java kernels of softmax scoring with a model split in class blocks (no Beam): the same
 * partial log-sum-exp statistics that {@code SoftmaxObjective} forms in training, plus a top-k per
 * block, combined in block order. Both strategies of {@link ScoreExamples} call exactly these two
 * methods on the same blocks in the same order, so they give the same bits.
 *
 * <p>For an example x (sparse, 1-based indices j) and block b holding classes
 * [k<sub>0</sub>, k<sub>0</sub>+R) as rows of W (R&times;D, row-major):
 * <pre>
 *   z<sub>c</sub> = &Sigma;<sub>p</sub> x<sub>p</sub> W[k<sub>0</sub>+c][j<sub>p</sub>&minus;1]     (nonzeros in index order)
 *   m<sup>b</sup> = max<sub>c</sub> z<sub>c</sub>,   s<sup>b</sup> = &Sigma;<sub>c</sub> exp(z<sub>c</sub> &minus; m<sup>b</sup>)   (classes in order)
 * </pre>
 * and across blocks, in block order (every exponent &le; 0, so nothing overflows):
 * <pre>
 *   M = max<sub>b</sub> m<sup>b</sup>,   log Z = M + log &Sigma;<sub>b</sub> s<sup>b</sup> exp(m<sup>b</sup> &minus; M),   p<sub>k</sub> = exp(z<sub>k</sub> &minus; log Z)
 * </pre>
 * The top k of all classes are among the union of each block's top k, ranked by margin, descending,
 * then class index, ascending (a total order, so ties are deterministic).
 */
public final class SoftmaxScoring {
  private SoftmaxScoring() {}

  /**
   * The partial statistics of one class block for one example.
   *
   * @param block the block's index b
   * @param firstRow k<sub>0</sub>, the block's first class
   * @param rows R, the block's classes
   * @param features D
   * @param weights W's rows [k<sub>0</sub>, k<sub>0</sub>+R), R&times;D row-major
   * @param x the example; every index must be at most D
   * @param topK how many of the block's classes to keep (at most R are)
   */
  public static BlockScores blockScores(int block, int firstRow, int rows, int features,
      double[] weights, SparseFeatures x, int topK) {
    Checks.checkArgument(weights.length == (long) rows * features,
        "block %s holds %s weights, expected %s x %s", block, weights.length, rows, features);
    Checks.checkArgument(x.maxIndex() <= features,
        "feature index %s is beyond the model's %s features", x.maxIndex(), features);
    int nnz = x.size();
    double[] z = new double[rows]; // R
    for (int c = 0; c < rows; c++) {
      int row = c * features - 1; // 1-based index j is column j - 1
      double sum = 0;
      for (int p = 0; p < nnz; p++) {
        sum += x.value(p) * weights[row + x.index(p)];
      }
      z[c] = sum;
    }
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < rows; c++) {
      max = Math.max(max, z[c]);
    }
    double sumExp = 0;
    for (int c = 0; c < rows; c++) {
      sumExp += Math.exp(z[c] - max);
    }
    TopK top = new TopK(Math.min(topK, rows));
    for (int c = 0; c < rows; c++) {
      top.offer(firstRow + c, z[c]);
    }
    return new BlockScores(block, max, sumExp, top.classes(), top.margins());
  }

  /**
   * Combines every block's statistics for example {@code id}, in block order, into its prediction.
   *
   * @param inBlockOrder the partials of blocks 0..P&minus;1, entry b from block b
   * @param labels the original label of each class
   * @param topK k, at most the number of classes
   */
  public static Prediction combine(long id, BlockScores[] inBlockOrder, int[] labels, int topK) {
    double max = Double.NEGATIVE_INFINITY;
    for (int b = 0; b < inBlockOrder.length; b++) {
      Checks.checkArgument(inBlockOrder[b].block() == b,
          "partial %s of example %s comes from block %s", b, id, inBlockOrder[b].block());
      max = Math.max(max, inBlockOrder[b].maxMargin());
    }
    double sum = 0;
    for (BlockScores s : inBlockOrder) {
      sum += s.sumExp() * Math.exp(s.maxMargin() - max);
    }
    double logZ = max + Math.log(sum);
    TopK top = new TopK(topK);
    for (BlockScores s : inBlockOrder) {
      for (int i = 0; i < s.size(); i++) {
        top.offer(s.classes[i], s.margins[i]);
      }
    }
    Checks.checkArgument(top.size == topK, "example %s: top %s asked, but the blocks hold only %s",
        id, topK, top.size);
    int[] topLabels = new int[topK];
    double[] probabilities = new double[topK];
    for (int i = 0; i < topK; i++) {
      topLabels[i] = labels[top.classes[i]];
      probabilities[i] = Math.exp(top.margins[i] - logZ);
    }
    return Prediction.owning(id, topLabels, probabilities);
  }

  /** The k best (class, margin) pairs offered, best first: margin descending, then class ascending. */
  private static final class TopK {
    final int[] classes;
    final double[] margins;
    int size;

    TopK(int k) {
      classes = new int[k];
      margins = new double[k];
    }

    /** Whether (c1, z1) ranks before (c2, z2). */
    static boolean before(int c1, double z1, int c2, double z2) {
      int cmp = Double.compare(z1, z2);
      return cmp > 0 || (cmp == 0 && c1 < c2);
    }

    void offer(int c, double z) {
      int k = classes.length;
      if (k == 0 || (size == k && !before(c, z, classes[k - 1], margins[k - 1]))) {
        return;
      }
      int i = size == k ? k - 1 : size++;
      while (i > 0 && before(c, z, classes[i - 1], margins[i - 1])) {
        classes[i] = classes[i - 1];
        margins[i] = margins[i - 1];
        i--;
      }
      classes[i] = c;
      margins[i] = z;
    }

    int[] classes() {
      return Arrays.copyOf(classes, size);
    }

    double[] margins() {
      return Arrays.copyOf(margins, size);
    }
  }

  /**
   * One class block's statistics for one example: its index b, m<sup>b</sup>, s<sup>b</sup>, and its
   * best classes (global indices) with their margins, best first. Immutable.
   */
  public static final class BlockScores {
    private final int block;
    private final double maxMargin;
    private final double sumExp;
    private final int[] classes;
    private final double[] margins;

    BlockScores(int block, double maxMargin, double sumExp, int[] classes, double[] margins) {
      this.block = block;
      this.maxMargin = maxMargin;
      this.sumExp = sumExp;
      this.classes = classes;
      this.margins = margins;
    }

    public int block() {
      return block;
    }

    /** m<sup>b</sup> = max<sub>c</sub> z<sub>c</sub>. */
    public double maxMargin() {
      return maxMargin;
    }

    /** s<sup>b</sup> = &Sigma;<sub>c</sub> exp(z<sub>c</sub> &minus; m<sup>b</sup>). */
    public double sumExp() {
      return sumExp;
    }

    /** How many best classes are kept. */
    public int size() {
      return classes.length;
    }

    /** A copy of the best classes' global indices. */
    public int[] classes() {
      return classes.clone();
    }

    /** A copy of their margins. */
    public double[] margins() {
      return margins.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof BlockScores s && s.block == block
          && Double.doubleToLongBits(s.maxMargin) == Double.doubleToLongBits(maxMargin)
          && Double.doubleToLongBits(s.sumExp) == Double.doubleToLongBits(sumExp)
          && Arrays.equals(s.classes, classes) && Arrays.equals(s.margins, margins);
    }

    @Override
    public int hashCode() {
      return ((block * 31 + Double.hashCode(maxMargin)) * 31 + Double.hashCode(sumExp)) * 31
          + Arrays.hashCode(classes);
    }

    @Override
    public String toString() {
      return "BlockScores{block=" + block + ", max=" + maxMargin + ", sumExp=" + sumExp
          + ", classes=" + Arrays.toString(classes) + ", margins=" + Arrays.toString(margins) + "}";
    }
  }

  /**
   * A deterministic coder of {@link BlockScores}: block, k (4 bytes each), m, s (raw bits, 8 bytes
   * each), the k classes, the k margins; big-endian.
   */
  public static final class BlockScoresCoder extends AtomicCoder<BlockScores> {
    private static final BlockScoresCoder INSTANCE = new BlockScoresCoder();

    private BlockScoresCoder() {}

    public static BlockScoresCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(BlockScores value, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      data.writeInt(value.block);
      data.writeInt(value.classes.length);
      data.writeLong(Double.doubleToRawLongBits(value.maxMargin));
      data.writeLong(Double.doubleToRawLongBits(value.sumExp));
      for (int c : value.classes) {
        data.writeInt(c);
      }
      for (double z : value.margins) {
        data.writeLong(Double.doubleToRawLongBits(z));
      }
      data.flush();
    }

    @Override
    public BlockScores decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      int block = data.readInt();
      int k = data.readInt();
      if (k < 0) {
        throw new CoderException("corrupt BlockScores: " + k + " classes");
      }
      double max = Double.longBitsToDouble(data.readLong());
      double sumExp = Double.longBitsToDouble(data.readLong());
      int[] classes = new int[k];
      for (int i = 0; i < k; i++) {
        classes[i] = data.readInt();
      }
      double[] margins = new double[k];
      for (int i = 0; i < k; i++) {
        margins[i] = Double.longBitsToDouble(data.readLong());
      }
      return new BlockScores(block, max, sumExp, classes, margins);
    }

    @Override
    public void verifyDeterministic() {}
  }
}
