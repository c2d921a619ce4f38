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
import org.lbfgsbeam.core.data.SparseDataset;

/**
 * The one scorer of softmax models (W of K&times;D, no bias, as {@code SoftmaxObjective} defines it)
 * split in class blocks, pure Java (no Beam beyond the coder of the partials): the same partial
 * log-sum-exp statistics that {@code SoftmaxObjective} forms in training, plus a top-k per block,
 * combined in block order. {@link ScoreExamples} (both strategies, one example at a time:
 * {@link #blockScores} and {@link #combine}) and the command line ({@code evaluate}, {@code predict},
 * validation during {@code train}: a whole data set a block at a time, {@link DatasetScorer}) compute
 * the same sums in the same order, so they give the same bits.
 *
 * <p>For an example x (sparse, indices j in ascending order) and block b holding classes
 * [k<sub>0</sub>, k<sub>0</sub>+R) as rows of W:
 * <pre>
 *   z<sub>c</sub> = &Sigma;<sub>p</sub> x<sub>p</sub> W[k<sub>0</sub>+c][j<sub>p</sub>]     (nonzeros in index order, from 0)
 *   m<sup>b</sup> = max<sub>c</sub> z<sub>c</sub>,   s<sup>b</sup> = &Sigma;<sub>c</sub> exp(z<sub>c</sub> &minus; m<sup>b</sup>)   (classes in order)
 * </pre>
 * and across blocks, in block order (every exponent &le; 0, so nothing overflows):
 * <pre>
 *   M = max<sub>b</sub> m<sup>b</sup>,   log Z = M + log &Sigma;<sub>b</sub> s<sup>b</sup> exp(m<sup>b</sup> &minus; M),   p<sub>k</sub> = exp(z<sub>k</sub> &minus; log Z),   &minus;log p<sub>y</sub> = log Z &minus; z<sub>y</sub>
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
    double max = maxOf(z, rows);
    double sumExp = sumExp(z, rows, max);
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
    int blocks = inBlockOrder.length;
    double[] maxes = new double[blocks];
    double[] sums = new double[blocks];
    for (int b = 0; b < blocks; b++) {
      Checks.checkArgument(inBlockOrder[b].block() == b,
          "partial %s of example %s comes from block %s", b, id, inBlockOrder[b].block());
      maxes[b] = inBlockOrder[b].maxMargin();
      sums[b] = inBlockOrder[b].sumExp();
    }
    double logZ = logPartition(maxes, sums, 0, blocks);
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

  /** m<sup>b</sup>: the largest of z[0, count). */
  private static double maxOf(double[] z, int count) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < count; c++) {
      max = Math.max(max, z[c]);
    }
    return max;
  }

  /** s<sup>b</sup> = &Sigma;<sub>c</sub> exp(z<sub>c</sub> &minus; m<sup>b</sup>), classes in order. */
  private static double sumExp(double[] z, int count, double max) {
    double sum = 0;
    for (int c = 0; c < count; c++) {
      sum += Math.exp(z[c] - max);
    }
    return sum;
  }

  /**
   * log Z = M + log &Sigma;<sub>b</sub> s<sup>b</sup> exp(m<sup>b</sup> &minus; M) over the P blocks
   * whose statistics are at [from, from + P) of {@code maxes} and {@code sums}, in block order.
   */
  private static double logPartition(double[] maxes, double[] sums, int from, int blocks) {
    double max = Double.NEGATIVE_INFINITY;
    for (int b = 0; b < blocks; b++) {
      max = Math.max(max, maxes[from + b]);
    }
    double sum = 0;
    for (int b = 0; b < blocks; b++) {
      sum += sums[from + b] * Math.exp(maxes[from + b] - max);
    }
    return max + Math.log(sum);
  }

  /**
   * Scores a whole data set with the softmax model {@code model}, reading it a class block at a time
   * ({@link LinearModelFiles#readBlock}, so only one block of W is in memory).
   *
   * @param trueClass int[N], each example's class index in the model, or null (no log-loss then)
   * @param top how many of the best classes to keep per example, in [1, K]
   */
  public static ClassScores score(LinearModelFiles.Info model, SparseDataset data, int[] trueClass,
      int top) throws IOException {
    Checks.checkArgument(model.isSoftmax(), "not a softmax model: %s", model);
    DatasetScorer scorer = new DatasetScorer(data, trueClass, model.features(), model.classes(),
        model.blockCount(), top);
    for (int b = 0; b < model.blockCount(); b++) {
      LinearModelFiles.Block block = model.blocks().get(b);
      scorer.addBlock(b, block.firstRow(), block.rows(), LinearModelFiles.transpose(
          LinearModelFiles.readBlock(model, b), block.rows(), model.features()));
    }
    return scorer.finish();
  }

  /**
   * Scores a set of examples one class block at a time, the blocks in any order: per example and
   * block it keeps m<sup>b</sup> and s<sup>b</sup> and combines them in block order at the end, so
   * the probabilities and log-losses have the bits of {@link #combine}; it keeps the margin of the
   * true class and the k largest margins. Features at or beyond the model's D (a test set wider than
   * the training set) are ignored: the model has no weight for them, as if it were 0
   * ({@link ScoreExamples.UnknownFeatures#IGNORE}). Memory beside the data: N&times;(2P + 1 + 2k)
   * numbers.
   */
  public static final class DatasetScorer {
    private final SparseDataset data;
    private final int features;
    private final int classes;
    private final int blocks;
    private final int top;
    private final int[] trueClass;
    /** N&times;P: m<sup>b</sup> and s<sup>b</sup> of example i at i&middot;P + b. */
    private final double[] blockMax;
    private final double[] blockSum;
    private final boolean[] blockSeen;
    private final double[] trueMargin;
    /** N&times;top, best first; class -1 for empty slots. */
    private final int[] topClass;
    private final double[] topMargin;
    private int classesSeen;

    /**
     * @param data the examples
     * @param trueClass int[N], each example's class index in the model, or null when unknown (no
     *     log-loss then)
     * @param features the model's D
     * @param classes the model's K
     * @param blocks the model's class blocks P
     * @param top how many of the best classes to keep per example, in [1, K]
     */
    public DatasetScorer(SparseDataset data, int[] trueClass, int features, int classes,
        int blocks, int top) {
      Checks.checkArgument(top >= 1 && top <= classes, "top must be in [1, %s], but was: %s",
          classes, top);
      Checks.checkArgument(blocks >= 1 && blocks <= classes,
          "blocks must be in [1, %s], but was: %s", classes, blocks);
      Checks.checkArgument(trueClass == null || trueClass.length == data.numExamples(),
          "trueClass must have one entry per example");
      int n = data.numExamples();
      this.data = data;
      this.features = features;
      this.classes = classes;
      this.blocks = blocks;
      this.top = top;
      this.trueClass = trueClass;
      this.blockMax = new double[n * blocks];
      this.blockSum = new double[n * blocks];
      this.blockSeen = new boolean[blocks];
      this.trueMargin = new double[n];
      this.topClass = new int[n * top];
      this.topMargin = new double[n * top];
      Arrays.fill(topClass, -1);
      Arrays.fill(topMargin, Double.NEGATIVE_INFINITY);
    }

    /**
     * Adds block {@code block}, the classes [firstClass, firstClass + count) of W.
     *
     * @param featureMajor double[D&times;count], entry j&middot;count + c is W[firstClass + c][j]
     *     (the layout of the training objective)
     */
    public void addBlock(int block, int firstClass, int count, double[] featureMajor) {
      Checks.checkArgument(block >= 0 && block < blocks && !blockSeen[block],
          "block must be a new one of [0, %s), but was: %s", blocks, block);
      Checks.checkArgument(featureMajor.length == (long) features * count,
          "block of %s classes must have %s entries, but had %s", count, (long) features * count,
          featureMajor.length);
      blockSeen[block] = true;
      int[] rows = data.rowOffsets();
      int[] cols = data.columns();
      double[] vals = data.values();
      double[] z = new double[count];
      for (int i = 0; i < data.numExamples(); i++) {
        Arrays.fill(z, 0);
        for (int p = rows[i]; p < rows[i + 1] && cols[p] < features; p++) {
          int wj = cols[p] * count;
          double v = vals[p];
          for (int c = 0; c < count; c++) {
            z[c] += v * featureMajor[wj + c];
          }
        }
        double max = maxOf(z, count);
        blockMax[i * blocks + block] = max;
        blockSum[i * blocks + block] = sumExp(z, count, max);
        for (int c = 0; c < count; c++) {
          offer(i, firstClass + c, z[c]);
        }
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
      if (topClass[last] >= 0 && !TopK.before(k, zk, topClass[last], topMargin[last])) {
        return;
      }
      int at = last;
      while (at > base && (topClass[at - 1] < 0
          || TopK.before(k, zk, topClass[at - 1], topMargin[at - 1]))) {
        topMargin[at] = topMargin[at - 1];
        topClass[at] = topClass[at - 1];
        at--;
      }
      topMargin[at] = zk;
      topClass[at] = k;
    }

    /** The scores, once every block has been added. */
    public ClassScores finish() {
      Checks.checkState(classesSeen == classes, "%s of %s classes were scored", classesSeen,
          classes);
      int n = data.numExamples();
      double[] logLoss = trueClass == null ? null : new double[n];
      double[] probability = new double[n * top];
      for (int i = 0; i < n; i++) {
        double logZ = logPartition(blockMax, blockSum, i * blocks, blocks);
        for (int r = 0; r < top; r++) {
          probability[i * top + r] = Math.exp(topMargin[i * top + r] - logZ);
        }
        if (logLoss != null) {
          logLoss[i] = logZ - trueMargin[i];
        }
      }
      return new ClassScores(n, top, topClass.clone(), probability, logLoss);
    }
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
