package org.lbfgsbeam.core.objective;

import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.partition.Partitioning;

/**
 * L2-regularised softmax (multinomial logistic) regression in model-parallel form, the objective
 * Najafabadi et al. (J Big Data 2017) train on LSHTC:
 * <pre>
 *   f(W) = (1/N) &Sigma;<sub>i</sub> [ log &Sigma;<sub>k</sub> exp(w<sub>k</sub>&middot;x<sub>i</sub>) &minus; w<sub>y<sub>i</sub></sub>&middot;x<sub>i</sub> ] + (&lambda;/2) &Vert;W&Vert;<sub>F</sub>&sup2;
 *   &nabla;<sub>w<sub>k</sub></sub> f = (1/N) &Sigma;<sub>i</sub> (p<sub>ik</sub> &minus; [y<sub>i</sub> = k]) x<sub>i</sub> + &lambda; w<sub>k</sub>,   p<sub>ik</sub> = exp(z<sub>ik</sub> &minus; log Z<sub>i</sub>) = Z<sub>i</sub><sup>&minus;1</sup> exp(z<sub>ik</sub>)
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
 *
 * <p><b>One exponential per entry.</b> The probabilities are formed from the terms of the block's
 * sum s<sub>i</sub><sup>b</sup>, not from z and log Z afresh:
 * <pre>
 *   p<sub>ic</sub> = e<sub>ic</sub> &middot; r<sub>i</sub>,   e<sub>ic</sub> = exp(z<sub>ic</sub> &minus; m<sub>i</sub><sup>b</sup>),   r<sub>i</sub> = exp(m<sub>i</sub><sup>b</sup> &minus; log Z<sub>i</sub>)
 * </pre>
 * (equal to exp(z<sub>ic</sub> &minus; log Z<sub>i</sub>) in exact arithmetic). {@link
 * #partialStatistics} keeps e (and m, its result's first N entries) for the block ({@link
 * BlockExponentials}), so an evaluation takes N&middot;K<sub>b</sub> exponentials per block for e
 * and N for r, instead of N&middot;K<sub>b</sub> for s and N&middot;K<sub>b</sub> more for p (in
 * profiles the exponentials were about 30% of a run). Accuracy: each exponential is within 1 ulp
 * ({@link Math#exp}) and the product rounds once more, so p is within about 2.5 ulp (relative) of
 * exp(fl(z<sub>ic</sub> &minus; m<sub>i</sub>) + fl(m<sub>i</sub> &minus; log Z<sub>i</sub>)),
 * where the single exponential was within 1 ulp of exp(fl(z<sub>ic</sub> &minus; log
 * Z<sub>i</sub>)). Both also carry the rounding of their arguments, a relative error of about
 * |argument|&middot;2<sup>&minus;53</sup> (|z<sub>ic</sub> &minus; m<sub>i</sub>| + |m<sub>i</sub>
 * &minus; log Z<sub>i</sub>| here, |z<sub>ic</sub> &minus; log Z<sub>i</sub>| for the single
 * exponential: the same size), which dominates once margins are large. Measured on
 * synth-small (3 blocks, all 40,000 p) against the exponential of the exact z &minus; log Z: with
 * weights of scale 0.5, at most 5 ulp for both (mean 0.85 against 0.73); of scale 20 (margins of
 * order 100), at most 65 against 64 ulp (mean 7.0 against 8.8). Since log Z<sub>i</sub> &ge;
 * m<sub>i</sub><sup>b</sup> (s<sub>i</sub><sup>b</sup> &ge; 1), r &le; 1 to rounding and nothing
 * overflows; only an e or r below the normal range (under 2<sup>&minus;1022</sup>) loses relative
 * accuracy, on a p under 10<sup>&minus;307</sup> that counts for nothing next to the other terms.
 *
 * <p><b>The same bits with or without what is kept.</b> A gradient or directional derivative on
 * margins whose statistics were taken elsewhere (another executor, another JVM, a resumed run, or
 * just a copy of the array) forms m<sub>i</sub><sup>b</sup> by the same max loop, e<sub>ic</sub> by
 * the same exponential and p<sub>ic</sub> by the same product, so the values are those a kept e
 * gives, bit for bit.
 */
public final class SoftmaxObjective implements PartitionedObjective {
  private final SparseDataset data;
  private final double lambda;
  private final Partitioning partitioning;
  /**
   * Per block, the N&times;K<sub>b</sub> exponentials kept between the phases of an evaluation: e
   * from {@link #partialStatistics}, turned into p in place by {@link #directionalDerivative}, read
   * by {@link #gradient} of the same margins (and normalisers). Each block's slot is used by one
   * thread at a time (executors run a block on one thread per phase).
   */
  private final BlockExponentials[] exponentials;

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
    this.exponentials = new BlockExponentials[blocks];
    for (int b = 0; b < blocks; b++) {
      exponentials[b] = new BlockExponentials();
    }
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

  /**
   * [m (N), s (N), z<sub>y</sub> (N)] of the block's margins; keeps the terms e<sub>ic</sub> =
   * exp(z<sub>ic</sub> &minus; m<sub>i</sub>) of s for the gradient and directional derivative of
   * the same margins, and reads the result's m for them (so it must not be modified).
   */
  @Override
  public double[] partialStatistics(int block, double[] z) {
    return statistics(block, null, 0, null, z);
  }

  /**
   * {@link #partialStatistics} of z<sub>t</sub> = z<sub>x</sub> + t&middot;z<sub>d</sub>, each row
   * formed into {@code zt} just before its statistics read it: one pass over z<sub>x</sub> and
   * z<sub>d</sub> instead of a pass forming z<sub>t</sub> and another reading it. Each entry is
   * {@code zx[q] + t * zd[q]}, as {@code BlockKernels.trialPoint} forms it, and the statistics are
   * taken over the whole row once it is formed, so the bits are those of the two passes.
   */
  @Override
  public double[] partialStatisticsAtTrial(int block, double[] zx, double t, double[] zd,
      double[] zt) {
    return statistics(block, zx, t, zd, zt);
  }

  /** The statistics of z, first forming each row of z as zx + t&middot;zd when zx is not null. */
  private double[] statistics(int block, double[] zx, double t, double[] zd, double[] z) {
    int kb = partitioning.unitCount(block);
    int k0 = partitioning.firstUnit(block);
    int n = data.numExamples();
    int[] labels = data.labels();
    double[] out = new double[3 * n];
    BlockExponentials kept = exponentials[block];
    double[] e = kept.buffer(n * kb);
    for (int i = 0; i < n; i++) {
      int zi = i * kb;
      if (zx != null) {
        for (int q = zi; q < zi + kb; q++) {
          z[q] = zx[q] + t * zd[q];
        }
      }
      double max = rowMax(z, zi, kb);
      double sum = 0;
      for (int c = 0; c < kb; c++) {
        double ec = shiftedExponential(z[zi + c], max);
        e[zi + c] = ec;
        sum += ec;
      }
      out[i] = max;
      out[n + i] = sum;
      int c = labels[i] - k0;
      out[2 * n + i] = c >= 0 && c < kb ? z[zi + c] : 0;
    }
    kept.holdShifted(z, out);
    return out;
  }

  /** m<sub>i</sub> = max<sub>c</sub> z<sub>ic</sub> of row i (entries [zi, zi + kb)), in order. */
  private static double rowMax(double[] z, int zi, int kb) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < kb; c++) {
      max = Math.max(max, z[zi + c]);
    }
    return max;
  }

  /** e<sub>ic</sub> = exp(z<sub>ic</sub> &minus; m<sub>i</sub>), a term of s<sub>i</sub>. */
  private static double shiftedExponential(double zic, double max) {
    return Math.exp(zic - max);
  }

  /**
   * Row i of the probabilities, p<sub>ic</sub> = e<sub>ic</sub>&middot;exp(m<sub>i</sub> &minus;
   * log Z<sub>i</sub>), into {@code p} from {@code pOffset}: from the kept e and its statistics'
   * m<sub>i</sub> when {@code shifted} is not null ({@code p} may be {@code shifted} itself, row i
   * in place), else from e and m formed from z exactly as {@link #partialStatistics} forms them, so
   * that both give the same bits.
   */
  private static void probabilityRow(double[] z, double[] shifted, double[] statistics, int i,
      int kb, double logZi, double[] p, int pOffset) {
    int zi = i * kb;
    if (shifted != null) {
      double r = Math.exp(statistics[i] - logZi);
      for (int c = 0; c < kb; c++) {
        p[pOffset + c] = shifted[zi + c] * r;
      }
    } else {
      double max = rowMax(z, zi, kb);
      double r = Math.exp(max - logZi);
      for (int c = 0; c < kb; c++) {
        p[pOffset + c] = shiftedExponential(z[zi + c], max) * r;
      }
    }
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

  /**
   * The gradient at x + t&middot;d with the line-search partials formed in its last pass: each sum of
   * {@code BlockKernels.lineSearchPartials} with its own accumulator, over the same entries in the
   * same order (the same bits), without a second pass over g<sub>t</sub>, g and d.
   */
  @Override
  public double[] gradientAtTrialWithLineSearch(int block, double[] x, double t, double[] d,
      double[] z, double[] logZ, double[] g, double[] gPrevious) {
    double[] out = new double[1 + org.lbfgsbeam.core.partition.BlockKernels.LINE_SEARCH_PARTIALS];
    dataGradient(block, z, logZ, g);
    int n = data.numExamples();
    double share = 0;
    double slope = 0;
    double initialSlope = 0;
    double curvature = 0;
    double yy = 0;
    double sumAbs = 0;
    double maxAbs = 0;
    double dMax = 0;
    for (int q = 0; q < g.length; q++) {
      double dq = d[q];
      double w = x[q] + t * dq;
      double gq = g[q] / n + lambda * w;
      g[q] = gq;
      share += w * w;
      double a = Math.abs(gq);
      sumAbs += a;
      maxAbs = Math.max(maxAbs, a);
      double s = t * dq;
      double y = gq - gPrevious[q];
      slope += gq * dq;
      initialSlope += gPrevious[q] * dq;
      curvature += s * y;
      yy += y * y;
      dMax = Math.max(dMax, Math.abs(dq));
    }
    out[0] = 0.5 * lambda * share;
    out[1] = slope;
    out[2] = initialSlope;
    out[3] = curvature;
    out[4] = yy;
    out[5] = sumAbs;
    out[6] = maxAbs;
    out[7] = dMax;
    return out;
  }

  /** The gradient at w = x + t&middot;d (w = x when d is null), each w<sub>q</sub> formed once. */
  private double gradientAt(int block, double[] x, double t, double[] d, double[] z,
      double[] logZ, double[] g) {
    dataGradient(block, z, logZ, g);
    int n = data.numExamples();
    double share = 0;
    for (int q = 0; q < g.length; q++) {
      double w = d == null ? x[q] : x[q] + t * d[q];
      g[q] = g[q] / n + lambda * w;
      share += w * w;
    }
    return 0.5 * lambda * share;
  }

  /** The data term &Sigma;<sub>i</sub> (p<sub>i</sub> &minus; e<sub>y<sub>i</sub></sub>) x<sub>i</sub> into g (before its 1/N). */
  private void dataGradient(int block, double[] z, double[] logZ, double[] g) {
    int kb = partitioning.unitCount(block);
    int k0 = partitioning.firstUnit(block);
    int n = data.numExamples();
    int[] rows = data.rowOffsets();
    int[] cols = data.columns();
    double[] vals = data.values();
    int[] labels = data.labels();
    java.util.Arrays.fill(g, 0);
    double[] coef = new double[kb];
    BlockExponentials kept = exponentials[block];
    double[] probabilities = kept.holdsProbabilities(z, logZ) ? kept.values() : null;
    double[] shifted = probabilities == null && kept.holdsShifted(z) ? kept.values() : null;
    double[] statistics = shifted == null ? null : kept.statistics();
    kept.forget(); // used once: the margins' array may be reused for other values
    for (int i = 0; i < n; i++) {
      int zi = i * kb;
      if (probabilities != null) {
        System.arraycopy(probabilities, zi, coef, 0, kb);
      } else {
        probabilityRow(z, shifted, statistics, i, kb, logZ[i], coef, 0);
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
   * p<sub>ic</sub> = e<sub>ic</sub>&middot;exp(m<sub>i</sub> &minus; log Z<sub>i</sub>) from the
   * broadcast normalisers. No pass over the data: N exponentials when {@link #partialStatistics}
   * of these margins kept e (N&middot;K<sub>b</sub> more otherwise) and a dot product of the block.
   * Keeps p (over e) for {@link #gradient} of the same margins and normalisers.
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
    double sum = dataSlope(block, z, zd, logZ);
    double wd = 0;
    for (int q = 0; q < x.length; q++) {
      double w = step == null ? x[q] : x[q] + t * step[q];
      wd += w * d[q];
    }
    return sum / data.numExamples() + lambda * wd;
  }

  /**
   * A cached trial's slope partials in one pass over x, d and g: [(&lambda;/2)&Vert;w&Vert;&sup2;,
   * the part of &nabla;f(w)&middot;d, g&middot;d, max|d|] at w = x + t&middot;d, each sum with its
   * own accumulator in the order of {@link #valueShareAtTrial}, {@link
   * #directionalDerivativeAtTrial}, a dot product and a running maximum (the bits of the four
   * passes the default takes).
   */
  @Override
  public double[] slopePartialsAtTrial(int block, double[] x, double t, double[] d, double[] z,
      double[] zd, double[] logZ, double[] g) {
    double sum = dataSlope(block, z, zd, logZ);
    double share = 0;
    double wd = 0;
    double gd = 0;
    double dMax = 0;
    for (int q = 0; q < x.length; q++) {
      double dq = d[q];
      double w = x[q] + t * dq;
      share += w * w;
      wd += w * dq;
      gd += g[q] * dq;
      dMax = Math.max(dMax, Math.abs(dq));
    }
    return new double[] {0.5 * lambda * share, sum / data.numExamples() + lambda * wd, gd, dMax};
  }

  /**
   * &Sigma;<sub>i</sub> &Sigma;<sub>c in b</sub> (p<sub>ic</sub> &minus; [y<sub>i</sub> = c])
   * z<sup>d</sup><sub>ic</sub>, the data term of the directional derivative before its 1/N; keeps p.
   */
  private double dataSlope(int block, double[] z, double[] zd, double[] logZ) {
    int kb = partitioning.unitCount(block);
    int k0 = partitioning.firstUnit(block);
    int n = data.numExamples();
    int[] labels = data.labels();
    BlockExponentials kept = exponentials[block];
    boolean formed = kept.holdsProbabilities(z, logZ); // p of this trial already (a second call)
    double[] shifted = !formed && kept.holdsShifted(z) ? kept.values() : null;
    double[] statistics = shifted == null ? null : kept.statistics();
    double[] p = formed || shifted != null ? kept.values() : kept.buffer(n * kb);
    double sum = 0;
    for (int i = 0; i < n; i++) {
      int zi = i * kb;
      if (!formed) {
        probabilityRow(z, shifted, statistics, i, kb, logZ[i], p, zi); // over e when kept
      }
      int y = labels[i] - k0;
      for (int c = 0; c < kb; c++) {
        double coef = p[zi + c];
        if (c == y) {
          coef -= 1;
        }
        sum += coef * zd[zi + c];
      }
    }
    kept.holdProbabilities(z, logZ);
    return sum;
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
