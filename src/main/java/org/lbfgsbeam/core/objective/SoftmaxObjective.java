package org.lbfgsbeam.core.objective;

import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.partition.Partitioning;

/**
 * L2-regularised softmax (multinomial logistic) regression in model-parallel form, the objective
 * Najafabadi et al. (J Big Data 2017) train on LSHTC:
 * <pre>
 *   f(W) = (1/N) &Sigma;<sub>i</sub> [ log &Sigma;<sub>k</sub> exp(w<sub>k</sub>&middot;x<sub>i</sub>) &minus; w<sub>y<sub>i</sub></sub>&middot;x<sub>i</sub> ] + (&lambda;/2) &Vert;W&Vert;<sub>F</sub>&sup2;
 *   &nabla;<sub>w<sub>k</sub></sub> f = (1/N) &Sigma;<sub>i</sub> (p<sub>ik</sub> &minus; [y<sub>i</sub> = k]) x<sub>i</sub> + &lambda; w<sub>k</sub>,   p<sub>ik</sub> = exp(z<sub>ik</sub> &minus; log Z<sub>i</sub>)
 * </pre>
 * with W of K&times;D (no bias), z<sub>ik</sub> = w<sub>k</sub>&middot;x<sub>i</sub>, as
 * {@code shared/data/REFERENCE.md} defines it.
 *
 * <p><b>Blocks are blocks of classes</b>, so W never has to fit on one worker. Block b holds classes
 * [k<sub>0</sub>, k<sub>0</sub>+K<sub>b</sub>) stored feature-major: entry j&middot;K<sub>b</sub> + c is
 * W[k<sub>0</sub>+c][j] (shape D&times;K<sub>b</sub>), so the inner loops over a sparse row touch
 * contiguous memory. Every block sees all examples (the examples are replicated to the class blocks).
 * <ol>
 *   <li>margins z<sub>ic</sub> (N&times;K<sub>b</sub>) and per example the block's partial log-sum-exp
 *       statistics with the max shift: m<sub>i</sub><sup>b</sup> = max<sub>c</sub> z<sub>ic</sub>,
 *       s<sub>i</sub><sup>b</sup> = &Sigma;<sub>c</sub> exp(z<sub>ic</sub> &minus; m<sub>i</sub><sup>b</sup>),
 *       and z<sub>i,y<sub>i</sub></sub> when the block owns class y<sub>i</sub> (else 0);</li>
 *   <li>combined in block order: M<sub>i</sub> = max<sub>b</sub> m<sub>i</sub><sup>b</sup>,
 *       log Z<sub>i</sub> = M<sub>i</sub> + log &Sigma;<sub>b</sub> s<sub>i</sub><sup>b</sup> exp(m<sub>i</sub><sup>b</sup> &minus; M<sub>i</sub>)
 *       (no overflow: every exponent is &le; 0), data loss (1/N)&Sigma;<sub>i</sub>(log Z<sub>i</sub> &minus; z<sub>i,y<sub>i</sub></sub>);
 *       log Z is broadcast;</li>
 *   <li>each block forms its gradient block and its share (&lambda;/2)&Vert;W<sub>b</sub>&Vert;&sup2;.</li>
 * </ol>
 * Partial statistics are laid out [m (N), s (N), z<sub>y</sub> (N)].
 */
public final class SoftmaxObjective implements PartitionedObjective {
  private final SparseDataset data;
  private final double lambda;
  private final Partitioning partitioning;
  /**
   * Per block, the probabilities p<sub>ic</sub> = exp(z<sub>ic</sub> &minus; log Z<sub>i</sub>)
   * that {@link #directionalDerivative} formed, with the margins and normalisers they came from (by
   * identity): {@link #gradient} of the same trial then reads them instead of taking the N&middot;K
   * exponentials again, the same values bit for bit. Each block's slot is used by one thread at a
   * time (executors run a block on one thread per phase).
   */
  private final double[][] probabilities;
  private final double[][] probabilitiesOfMargins;
  private final double[][] probabilitiesOfNormalisers;

  /** Softmax regression on {@code data} with {@code blocks} class blocks. */
  public SoftmaxObjective(SparseDataset data, double lambda, int blocks) {
    Checks.checkArgument(data != null, "data must not be null");
    Checks.checkArgument(data.numExamples() >= 1,
        "softmax regression needs at least one example, but had: %s", data.numExamples());
    Checks.checkArgument(lambda >= 0 && Double.isFinite(lambda),
        "lambda must be finite and >= 0, but was: %s", lambda);
    Checks.checkArgument(blocks >= 1 && blocks <= data.numClasses(),
        "softmax partitions are blocks of classes: partitions must be in [1, %s], but was: %s",
        data.numClasses(), blocks);
    this.data = data;
    this.lambda = lambda;
    this.partitioning = Partitioning.of(data.numClasses(), data.numFeatures(), blocks);
    this.probabilities = new double[blocks][];
    this.probabilitiesOfMargins = new double[blocks][];
    this.probabilitiesOfNormalisers = new double[blocks][];
  }

  public SparseDataset data() {
    return data;
  }

  public double lambda() {
    return lambda;
  }

  @Override
  public Partitioning partitioning() {
    return partitioning;
  }

  @Override
  public double[] margins(int block, double[] w) {
    // A new array is zeros already.
    return marginsInto(block, w, new double[data.numExamples() * partitioning.unitCount(block)]);
  }

  @Override
  public double[] margins(int block, double[] w, double[] z) {
    java.util.Arrays.fill(z, 0);
    return marginsInto(block, w, z);
  }

  /** Adds the block's margins of w to {@code z} (zeros on entry); returns it. */
  private double[] marginsInto(int block, double[] w, double[] z) {
    int kb = partitioning.unitCount(block);
    int n = data.numExamples();
    int[] rows = data.rowOffsets();
    int[] cols = data.columns();
    double[] vals = data.values();
    // z: N x Kb
    for (int i = 0; i < n; i++) {
      int zi = i * kb;
      for (int p = rows[i]; p < rows[i + 1]; p++) {
        int wj = cols[p] * kb;
        double v = vals[p];
        for (int c = 0; c < kb; c++) {
          z[zi + c] += v * w[wj + c];
        }
      }
    }
    return z;
  }

  @Override
  public double[] partialStatistics(int block, double[] z) {
    int kb = partitioning.unitCount(block);
    int k0 = partitioning.firstUnit(block);
    int n = data.numExamples();
    int[] labels = data.labels();
    double[] out = new double[3 * n];
    for (int i = 0; i < n; i++) {
      int zi = i * kb;
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < kb; c++) {
        max = Math.max(max, z[zi + c]);
      }
      double sum = 0;
      for (int c = 0; c < kb; c++) {
        sum += Math.exp(z[zi + c] - max);
      }
      out[i] = max;
      out[n + i] = sum;
      int c = labels[i] - k0;
      out[2 * n + i] = c >= 0 && c < kb ? z[zi + c] : 0;
    }
    return out;
  }

  @Override
  public CombinedStatistics combine(double[][] partials) {
    int n = data.numExamples();
    double[] logZ = new double[n];
    double loss = 0;
    for (int i = 0; i < n; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (double[] p : partials) {
        max = Math.max(max, p[i]);
      }
      double sum = 0;
      double labelMargin = 0;
      for (double[] p : partials) {
        sum += p[n + i] * Math.exp(p[i] - max);
        labelMargin += p[2 * n + i];
      }
      logZ[i] = max + Math.log(sum);
      loss += logZ[i] - labelMargin;
    }
    return new CombinedStatistics(logZ, loss / n);
  }

  @Override
  public double gradient(int block, double[] w, double[] z, double[] logZ, double[] g) {
    return gradientAt(block, w, 0, null, z, logZ, g);
  }

  @Override
  public double gradientAtTrial(int block, double[] x, double t, double[] d, double[] z,
      double[] logZ, double[] g) {
    return gradientAt(block, x, t, d, z, logZ, g);
  }

  /** The gradient at w = x + t&middot;d (w = x when d is null), each w<sub>q</sub> formed once. */
  private double gradientAt(int block, double[] x, double t, double[] d, double[] z,
      double[] logZ, double[] g) {
    int kb = partitioning.unitCount(block);
    int k0 = partitioning.firstUnit(block);
    int n = data.numExamples();
    int[] rows = data.rowOffsets();
    int[] cols = data.columns();
    double[] vals = data.values();
    int[] labels = data.labels();
    java.util.Arrays.fill(g, 0);
    double[] coef = new double[kb];
    double[] kept = probabilitiesOfMargins[block] == z && probabilitiesOfNormalisers[block] == logZ
        ? probabilities[block] : null;
    probabilitiesOfMargins[block] = null; // used once: the arrays may be reused for other values
    probabilitiesOfNormalisers[block] = null;
    for (int i = 0; i < n; i++) {
      int zi = i * kb;
      if (kept != null) {
        System.arraycopy(kept, zi, coef, 0, kb);
      } else {
        for (int c = 0; c < kb; c++) {
          coef[c] = Math.exp(z[zi + c] - logZ[i]);
        }
      }
      int y = labels[i] - k0;
      if (y >= 0 && y < kb) {
        coef[y] -= 1;
      }
      for (int p = rows[i]; p < rows[i + 1]; p++) {
        int gj = cols[p] * kb;
        double v = vals[p];
        for (int c = 0; c < kb; c++) {
          g[gj + c] += v * coef[c];
        }
      }
    }
    double share = 0;
    for (int q = 0; q < g.length; q++) {
      double w = d == null ? x[q] : x[q] + t * d[q];
      g[q] = g[q] / n + lambda * w;
      share += w * w;
    }
    return 0.5 * lambda * share;
  }

  /** Margins z = X W<sub>b</sub><sup>T</sup> are linear in W. */
  @Override
  public boolean linearMargins() {
    return true;
  }

  /** (&lambda;/2)&Vert;W<sub>b</sub>&Vert;<sup>2</sup>, summed as {@link #gradient} sums it. */
  @Override
  public double valueShare(int block, double[] w, double[] z, double[] logZ) {
    double share = 0;
    for (int q = 0; q < w.length; q++) {
      share += w[q] * w[q];
    }
    return 0.5 * lambda * share;
  }

  @Override
  public double valueShareAtTrial(int block, double[] x, double t, double[] d, double[] z,
      double[] logZ) {
    double share = 0;
    for (int q = 0; q < x.length; q++) {
      double w = x[q] + t * d[q];
      share += w * w;
    }
    return 0.5 * lambda * share;
  }

  /**
   * The block's part of &nabla;f(W)&middot;D with z<sup>d</sup> = margins of D (N&times;K<sub>b</sub>):
   * (1/N) &Sigma;<sub>i</sub> &Sigma;<sub>c in b</sub> (p<sub>ic</sub> &minus; [y<sub>i</sub> = c])
   * z<sup>d</sup><sub>ic</sub> + &lambda; W<sub>b</sub>&middot;D<sub>b</sub>, with
   * p<sub>ic</sub> = exp(z<sub>ic</sub> &minus; log Z<sub>i</sub>) from the broadcast normalisers. No pass
   * over the data: N&middot;K<sub>b</sub> exponentials and a dot product of the block.
   */
  @Override
  public double directionalDerivative(int block, double[] w, double[] z, double[] zd,
      double[] logZ, double[] d) {
    return directionalDerivativeAt(block, w, 0, null, z, zd, logZ, d);
  }

  @Override
  public double directionalDerivativeAtTrial(int block, double[] x, double t, double[] d,
      double[] z, double[] zd, double[] logZ) {
    return directionalDerivativeAt(block, x, t, d, z, zd, logZ, d);
  }

  /**
   * The derivative at w = x + t&middot;{@code step} (w = x when {@code step} is null) along d.
   */
  private double directionalDerivativeAt(int block, double[] x, double t, double[] step,
      double[] z, double[] zd, double[] logZ, double[] d) {
    int kb = partitioning.unitCount(block);
    int k0 = partitioning.firstUnit(block);
    int n = data.numExamples();
    int[] labels = data.labels();
    double[] p = probabilities[block];
    if (p == null || p.length != n * kb) {
      p = new double[n * kb];
      probabilities[block] = p;
    }
    double sum = 0;
    for (int i = 0; i < n; i++) {
      int zi = i * kb;
      int y = labels[i] - k0;
      for (int c = 0; c < kb; c++) {
        double pc = Math.exp(z[zi + c] - logZ[i]);
        p[zi + c] = pc;
        double coef = pc;
        if (c == y) {
          coef -= 1;
        }
        sum += coef * zd[zi + c];
      }
    }
    probabilitiesOfMargins[block] = z;
    probabilitiesOfNormalisers[block] = logZ;
    double wd = 0;
    for (int q = 0; q < x.length; q++) {
      double w = step == null ? x[q] : x[q] + t * step[q];
      wd += w * d[q];
    }
    return sum / n + lambda * wd;
  }

  /**
   * W[k][j] from a block in this objective's layout.
   */
  public double weight(double[][] blocks, int k, int j) {
    for (int b = 0; b < partitioning.blocks(); b++) {
      int k0 = partitioning.firstUnit(b);
      int kb = partitioning.unitCount(b);
      if (k >= k0 && k < k0 + kb) {
        return blocks[b][j * kb + (k - k0)];
      }
    }
    throw new IllegalArgumentException("class out of range: " + k);
  }
}
