package org.lbfgsbeam.core.partition;

import org.lbfgsbeam.core.Checks;

/**
 * The per-block vector operations of distributed L-BFGS: the paper's LOCAL PROJECTs (element-wise
 * updates of one block) and the local halves of its global dot products (a partial sum per block,
 * combined in block order by {@link #sumInBlockOrder}). Every executor calls these same methods, so the
 * in-process path, the Beam pipelines and the Flink iteration compute the same bits.
 *
 * <p>Loops run from the first entry to the last; nothing is fused with FMA; results never depend on
 * thread scheduling.
 */
public final class BlockKernels {
  /** Layout of {@link #lineSearchPartials}: sums first, then maxima. */
  public static final int SLOPE = 0;
  public static final int INITIAL_SLOPE = 1;
  public static final int CURVATURE = 2;
  public static final int Y_NORM_SQUARED = 3;
  public static final int GRADIENT_SUM_ABS = 4;
  public static final int GRADIENT_MAX_ABS = 5;
  public static final int DIRECTION_MAX_ABS = 6;
  public static final int LINE_SEARCH_PARTIALS = 7;
  private static final int SUMMED = 5;

  private BlockKernels() {}

  /** x + t&middot;d (a copy of x when d is null). */
  public static double[] trialPoint(double[] x, double t, double[] d) {
    return trialPoint(x, t, d, new double[x.length]);
  }

  /**
   * x + t&middot;d written into {@code out} (which may be x itself: each entry is read before it is
   * written); returns {@code out}.
   */
  public static double[] trialPoint(double[] x, double t, double[] d, double[] out) {
    if (d == null) {
      System.arraycopy(x, 0, out, 0, x.length);
      return out;
    }
    for (int j = 0; j < x.length; j++) {
      out[j] = x[j] + t * d[j];
    }
    return out;
  }

  /** s = t&middot;d. */
  public static double[] step(double t, double[] d) {
    return step(t, d, new double[d.length]);
  }

  /** s = t&middot;d written into {@code out} (which may be d itself); returns {@code out}. */
  public static double[] step(double t, double[] d, double[] out) {
    for (int j = 0; j < d.length; j++) {
      out[j] = t * d[j];
    }
    return out;
  }

  /** y = a &minus; b. */
  public static double[] difference(double[] a, double[] b) {
    return difference(a, b, new double[a.length]);
  }

  /** y = a &minus; b written into {@code out} (which may be a or b); returns {@code out}. */
  public static double[] difference(double[] a, double[] b, double[] out) {
    for (int j = 0; j < a.length; j++) {
      out[j] = a[j] - b[j];
    }
    return out;
  }

  /** &minus;&gamma;&middot;g. */
  public static double[] steepest(double[] g, double gamma) {
    return steepest(g, gamma, new double[g.length]);
  }

  /** &minus;&gamma;&middot;g written into {@code out}; returns {@code out}. */
  public static double[] steepest(double[] g, double gamma, double[] out) {
    double a = -gamma;
    for (int j = 0; j < g.length; j++) {
      out[j] = a * g[j];
    }
    return out;
  }

  /** In place: v &larr; a&middot;v. */
  public static void scale(double a, double[] v) {
    for (int j = 0; j < v.length; j++) {
      v[j] = a * v[j];
    }
  }

  /** In place: y &larr; y + a&middot;x. */
  public static void axpy(double a, double[] x, double[] y) {
    for (int j = 0; j < y.length; j++) {
      y[j] += a * x[j];
    }
  }

  /** The block's partial a&middot;b. */
  public static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int j = 0; j < a.length; j++) {
      sum += a[j] * b[j];
    }
    return sum;
  }

  /**
   * Entries per cache tile of the multi-vector kernels ({@link #combination}, {@link #gramPartials}):
   * 4096 doubles (32 KB) of each vector, so that every vector is read from memory once per call
   * instead of once per term. Tiling changes no bits: each sum still runs over its terms in the same
   * order.
   */
  static final int TILE = 4096;

  /** &Sigma;<sub>l</sub> c<sub>l</sub> b<sub>l</sub>, each entry summed over l in ascending order. */
  public static double[] combination(double[] coefficients, double[][] basis) {
    return combination(coefficients, basis, new double[basis[0].length]);
  }

  /**
   * {@link #combination(double[], double[][])} written into {@code out} (any contents; not one of
   * the basis vectors): each entry starts from 0 as in a new array, so the bits are the same.
   */
  public static double[] combination(double[] coefficients, double[][] basis, double[] out) {
    int n = basis[0].length;
    // The terms with a nonzero coefficient, in order: a zero one adds nothing, not even a signed
    // zero or the NaN of 0 times infinity.
    int[] terms = new int[basis.length];
    int count = 0;
    for (int l = 0; l < basis.length; l++) {
      if (coefficients[l] != 0) {
        terms[count++] = l;
      }
    }
    // Tile by tile, four terms per pass over the tile: out[j] = (((0 + c0 b0j) + c1 b1j) + ...),
    // each entry's additions in the order of the terms (the bits of one term at a time), with out
    // read and written once per four terms and no separate pass to clear it.
    for (int from = 0; from < n; from += TILE) {
      int to = Math.min(n, from + TILE);
      if (count == 0) {
        java.util.Arrays.fill(out, from, to, 0);
        continue;
      }
      int t = 0;
      for (; t < count; t += 4) {
        boolean first = t == 0;
        int left = Math.min(4, count - t);
        if (left == 4) {
          double c0 = coefficients[terms[t]];
          double c1 = coefficients[terms[t + 1]];
          double c2 = coefficients[terms[t + 2]];
          double c3 = coefficients[terms[t + 3]];
          double[] b0 = basis[terms[t]];
          double[] b1 = basis[terms[t + 1]];
          double[] b2 = basis[terms[t + 2]];
          double[] b3 = basis[terms[t + 3]];
          for (int j = from; j < to; j++) {
            double v = first ? 0.0 : out[j];
            out[j] = (((v + c0 * b0[j]) + c1 * b1[j]) + c2 * b2[j]) + c3 * b3[j];
          }
        } else {
          for (int u = t; u < t + left; u++) {
            double c = coefficients[terms[u]];
            double[] b = basis[terms[u]];
            boolean clear = first && u == t;
            for (int j = from; j < to; j++) {
              out[j] = (clear ? 0.0 : out[j]) + c * b[j];
            }
          }
        }
      }
    }
    return out;
  }

  /**
   * The block's partial dots basis[a]&middot;basis[b] for each (a, b) in {@code plan}: each the same
   * sum as {@link #dot} (j ascending, one accumulator), computed tile by tile, four dots at a time.
   * One dot is a chain of dependent additions, one per entry, so the core waits an addition's
   * latency on each; four independent chains in one loop keep four additions in flight. Each
   * accumulator still adds its own terms in the same order: the bits of one dot at a time.
   */
  public static double[] gramPartials(double[][] basis, int[] plan) {
    double[] out = new double[plan.length / 2];
    int n = basis.length == 0 ? 0 : basis[0].length;
    for (int from = 0; from < n; from += TILE) {
      accumulateDots(basis, null, plan, from, Math.min(n, from + TILE), out);
    }
    return out;
  }

  /**
   * Adds to each out[k] the terms j in [from, to) of v<sub>a</sub>&middot;v<sub>b</sub>, with
   * (a, b) = (plan[2k], plan[2k+1]) and v<sub>l</sub>[j] = basis[l][j + offset[l]] (offset null: all
   * 0; a tile buffer has offset &minus;from), in ascending j, one accumulator per dot. A dot's sum is
   * a chain of dependent additions, so the dots run eight at a time where eight share their first
   * vector and their second vectors have offset 0 (a vector-free plan's new s, y or g against the
   * old basis: the shared entry is loaded once for the eight), then the rest four, two or one at a
   * time. The grouping decides only which chains run side by side: every accumulator adds its own
   * terms in its own order, so the bits are those of one dot at a time.
   */
  private static void accumulateDots(double[][] basis, int[] offset, int[] plan, int from, int to,
      double[] out) {
    int dots = out.length;
    int[] rest = new int[dots];
    int restCount = 0;
    int[] group = new int[dots];
    int k = 0;
    while (k < dots) {
      int a = plan[2 * k];
      int end = k + 1;
      while (end < dots && plan[2 * end] == a) {
        end++;
      }
      int grouped = 0;
      for (int q = k; q < end; q++) {
        if (offset == null || offset[plan[2 * q + 1]] == 0) {
          group[grouped++] = q;
        } else {
          rest[restCount++] = q;
        }
      }
      double[] av = basis[a];
      int oa = offset == null ? 0 : offset[a];
      int g = 0;
      for (; g + 8 <= grouped; g += 8) {
        int k0 = group[g];
        int k1 = group[g + 1];
        int k2 = group[g + 2];
        int k3 = group[g + 3];
        int k4 = group[g + 4];
        int k5 = group[g + 5];
        int k6 = group[g + 6];
        int k7 = group[g + 7];
        double[] b0 = basis[plan[2 * k0 + 1]];
        double[] b1 = basis[plan[2 * k1 + 1]];
        double[] b2 = basis[plan[2 * k2 + 1]];
        double[] b3 = basis[plan[2 * k3 + 1]];
        double[] b4 = basis[plan[2 * k4 + 1]];
        double[] b5 = basis[plan[2 * k5 + 1]];
        double[] b6 = basis[plan[2 * k6 + 1]];
        double[] b7 = basis[plan[2 * k7 + 1]];
        double s0 = out[k0];
        double s1 = out[k1];
        double s2 = out[k2];
        double s3 = out[k3];
        double s4 = out[k4];
        double s5 = out[k5];
        double s6 = out[k6];
        double s7 = out[k7];
        for (int j = from; j < to; j++) {
          double v = av[j + oa];
          s0 += v * b0[j];
          s1 += v * b1[j];
          s2 += v * b2[j];
          s3 += v * b3[j];
          s4 += v * b4[j];
          s5 += v * b5[j];
          s6 += v * b6[j];
          s7 += v * b7[j];
        }
        out[k0] = s0;
        out[k1] = s1;
        out[k2] = s2;
        out[k3] = s3;
        out[k4] = s4;
        out[k5] = s5;
        out[k6] = s6;
        out[k7] = s7;
      }
      for (; g < grouped; g++) {
        rest[restCount++] = group[g];
      }
      k = end;
    }
    int r = 0;
    for (; r + 4 <= restCount; r += 4) {
      int k0 = rest[r];
      int k1 = rest[r + 1];
      int k2 = rest[r + 2];
      int k3 = rest[r + 3];
      double[] a0 = basis[plan[2 * k0]];
      double[] b0 = basis[plan[2 * k0 + 1]];
      double[] a1 = basis[plan[2 * k1]];
      double[] b1 = basis[plan[2 * k1 + 1]];
      double[] a2 = basis[plan[2 * k2]];
      double[] b2 = basis[plan[2 * k2 + 1]];
      double[] a3 = basis[plan[2 * k3]];
      double[] b3 = basis[plan[2 * k3 + 1]];
      int oa0 = offset == null ? 0 : offset[plan[2 * k0]];
      int ob0 = offset == null ? 0 : offset[plan[2 * k0 + 1]];
      int oa1 = offset == null ? 0 : offset[plan[2 * k1]];
      int ob1 = offset == null ? 0 : offset[plan[2 * k1 + 1]];
      int oa2 = offset == null ? 0 : offset[plan[2 * k2]];
      int ob2 = offset == null ? 0 : offset[plan[2 * k2 + 1]];
      int oa3 = offset == null ? 0 : offset[plan[2 * k3]];
      int ob3 = offset == null ? 0 : offset[plan[2 * k3 + 1]];
      double s0 = out[k0];
      double s1 = out[k1];
      double s2 = out[k2];
      double s3 = out[k3];
      for (int j = from; j < to; j++) {
        s0 += a0[j + oa0] * b0[j + ob0];
        s1 += a1[j + oa1] * b1[j + ob1];
        s2 += a2[j + oa2] * b2[j + ob2];
        s3 += a3[j + oa3] * b3[j + ob3];
      }
      out[k0] = s0;
      out[k1] = s1;
      out[k2] = s2;
      out[k3] = s3;
    }
    for (; r + 2 <= restCount; r += 2) {
      int k0 = rest[r];
      int k1 = rest[r + 1];
      double[] a0 = basis[plan[2 * k0]];
      double[] b0 = basis[plan[2 * k0 + 1]];
      double[] a1 = basis[plan[2 * k1]];
      double[] b1 = basis[plan[2 * k1 + 1]];
      int oa0 = offset == null ? 0 : offset[plan[2 * k0]];
      int ob0 = offset == null ? 0 : offset[plan[2 * k0 + 1]];
      int oa1 = offset == null ? 0 : offset[plan[2 * k1]];
      int ob1 = offset == null ? 0 : offset[plan[2 * k1 + 1]];
      double s0 = out[k0];
      double s1 = out[k1];
      for (int j = from; j < to; j++) {
        s0 += a0[j + oa0] * b0[j + ob0];
        s1 += a1[j + oa1] * b1[j + ob1];
      }
      out[k0] = s0;
      out[k1] = s1;
    }
    for (; r < restCount; r++) {
      int k0 = rest[r];
      double[] a0 = basis[plan[2 * k0]];
      double[] b0 = basis[plan[2 * k0 + 1]];
      int oa0 = offset == null ? 0 : offset[plan[2 * k0]];
      int ob0 = offset == null ? 0 : offset[plan[2 * k0 + 1]];
      double s0 = out[k0];
      for (int j = from; j < to; j++) {
        s0 += a0[j + oa0] * b0[j + ob0];
      }
      out[k0] = s0;
    }
  }

  /**
   * {@link #gramPartials} of the basis that a commit pushing the pair s = t&middot;d,
   * y = g<sub>e</sub> &minus; g would make, computed before that commit: {@code basis[sIndex]} and
   * {@code basis[yIndex]} are null and stand for s and y, whose entries this forms tile by tile as
   * {@link #commitInPlace} forms them (t&middot;d<sub>j</sub> and g<sub>e,j</sub> &minus; g<sub>j</sub>,
   * each rounded once), into two tile buffers. Every dot adds the same products in the same order
   * as {@link #gramPartials} after the commit: the same bits, with no vector of size n formed.
   *
   * <p>For a node that speculates on the commit before the line search has decided it (the Flink
   * job's speculative Gram entries: {@code org.lbfgsbeam.pipelines.flink.SpeculativeGram}).
   */
  public static double[] gramPartialsOfPush(double[][] basis, int[] plan, int sIndex, int yIndex,
      double t, double[] d, double[] ge, double[] g) {
    Checks.checkArgument(basis[sIndex] == null && basis[yIndex] == null,
        "basis entries %s and %s stand for the pushed pair and must be null", sIndex, yIndex);
    double[] out = new double[plan.length / 2];
    int n = d.length;
    // s and y are formed tile by tile into buffers (read with offset -from); the other vectors
    // are read where they are.
    double[] sTile = new double[Math.min(TILE, n)];
    double[] yTile = new double[sTile.length];
    double[][] vectors = basis.clone();
    vectors[sIndex] = sTile;
    vectors[yIndex] = yTile;
    int[] offset = new int[basis.length];
    for (int from = 0; from < n; from += TILE) {
      int to = Math.min(n, from + TILE);
      int len = to - from;
      for (int j = 0; j < len; j++) {
        sTile[j] = t * d[from + j];
        yTile[j] = ge[from + j] - g[from + j];
      }
      offset[sIndex] = -from;
      offset[yIndex] = -from;
      accumulateDots(vectors, offset, plan, from, to, out);
    }
    return out;
  }

  /**
   * The block's part of a trial's scalars, with g the current gradient, d the direction, t the step and
   * g<sub>t</sub> the trial gradient: g<sub>t</sub>&middot;d, g&middot;d, s&middot;y (s = t&middot;d,
   * y = g<sub>t</sub> &minus; g, computed as the commit computes them), y&middot;y, &Sigma;|g<sub>t</sub>|,
   * max|g<sub>t</sub>|, max|d|. With d null (the start point) the first four are 0.
   */
  public static double[] lineSearchPartials(double[] g, double[] d, double t, double[] gt) {
    double slope = 0, initialSlope = 0, curvature = 0, yy = 0, sumAbs = 0, maxAbs = 0, dMax = 0;
    if (d == null) {
      for (int j = 0; j < gt.length; j++) {
        double a = Math.abs(gt[j]);
        sumAbs += a;
        maxAbs = Math.max(maxAbs, a);
      }
    } else {
      // One pass over gt, g and d; every sum keeps its own accumulator and order (the bits of
      // separate loops).
      for (int j = 0; j < gt.length; j++) {
        double a = Math.abs(gt[j]);
        sumAbs += a;
        maxAbs = Math.max(maxAbs, a);
        double s = t * d[j];
        double y = gt[j] - g[j];
        slope += gt[j] * d[j];
        initialSlope += g[j] * d[j];
        curvature += s * y;
        yy += y * y;
        dMax = Math.max(dMax, Math.abs(d[j]));
      }
    }
    return new double[] {slope, initialSlope, curvature, yy, sumAbs, maxAbs, dMax};
  }

  /**
   * A commit that pushes a pair, in place and in one pass: s = t&middot;d over d, x &larr; x + s,
   * y = g<sub>e</sub> &minus; g over g. Each entry is the product and the sums of {@link #step},
   * {@link #trialPoint} and {@link #difference} (s<sub>j</sub> is t&middot;d<sub>j</sub> rounded
   * once either way), so the bits are theirs.
   */
  public static void commitInPlace(double t, double[] d, double[] x, double[] ge, double[] g) {
    for (int j = 0; j < x.length; j++) {
      double s = t * d[j];
      d[j] = s;
      x[j] = x[j] + s;
      g[j] = ge[j] - g[j];
    }
  }

  /** Combines {@link #lineSearchPartials} of all blocks, given in block order. */
  public static double[] combineLineSearchPartials(double[][] partials) {
    double[] out = new double[LINE_SEARCH_PARTIALS];
    for (double[] p : partials) {
      for (int k = 0; k < SUMMED; k++) {
        out[k] += p[k];
      }
      for (int k = SUMMED; k < LINE_SEARCH_PARTIALS; k++) {
        out[k] = Math.max(out[k], p[k]); // Math.max propagates NaN
      }
    }
    return out;
  }

  /** Element-wise sum of the blocks' partial vectors, added in block order from 0. */
  public static double[] sumInBlockOrder(double[][] partials) {
    double[] out = new double[partials[0].length];
    for (double[] p : partials) {
      for (int k = 0; k < out.length; k++) {
        out[k] += p[k];
      }
    }
    return out;
  }

  /** Whether every entry is finite. */
  public static boolean allFinite(double[] v) {
    for (double a : v) {
      if (!Double.isFinite(a)) {
        return false;
      }
    }
    return true;
  }

  /** The blocks laid end to end, in block order (a partitioned vector made whole). */
  public static double[] concatenate(double[][] blocks) {
    int n = 0;
    for (double[] b : blocks) {
      n += b.length;
    }
    double[] out = new double[n];
    int k = 0;
    for (double[] b : blocks) {
      System.arraycopy(b, 0, out, k, b.length);
      k += b.length;
    }
    return out;
  }
}
