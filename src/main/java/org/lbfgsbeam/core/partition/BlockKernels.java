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
    java.util.Arrays.fill(out, 0);
    for (int from = 0; from < n; from += TILE) {
      int to = Math.min(n, from + TILE);
      for (int l = 0; l < basis.length; l++) {
        double c = coefficients[l];
        if (c == 0) {
          continue;
        }
        double[] b = basis[l];
        for (int j = from; j < to; j++) {
          out[j] += c * b[j];
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
    int dots = out.length;
    for (int from = 0; from < n; from += TILE) {
      int to = Math.min(n, from + TILE);
      int k = 0;
      for (; k + 4 <= dots; k += 4) {
        double[] a0 = basis[plan[2 * k]];
        double[] b0 = basis[plan[2 * k + 1]];
        double[] a1 = basis[plan[2 * k + 2]];
        double[] b1 = basis[plan[2 * k + 3]];
        double[] a2 = basis[plan[2 * k + 4]];
        double[] b2 = basis[plan[2 * k + 5]];
        double[] a3 = basis[plan[2 * k + 6]];
        double[] b3 = basis[plan[2 * k + 7]];
        double s0 = out[k];
        double s1 = out[k + 1];
        double s2 = out[k + 2];
        double s3 = out[k + 3];
        for (int j = from; j < to; j++) {
          s0 += a0[j] * b0[j];
          s1 += a1[j] * b1[j];
          s2 += a2[j] * b2[j];
          s3 += a3[j] * b3[j];
        }
        out[k] = s0;
        out[k + 1] = s1;
        out[k + 2] = s2;
        out[k + 3] = s3;
      }
      for (; k < dots; k++) {
        double[] a = basis[plan[2 * k]];
        double[] b = basis[plan[2 * k + 1]];
        double sum = out[k];
        for (int j = from; j < to; j++) {
          sum += a[j] * b[j];
        }
        out[k] = sum;
      }
    }
    return out;
  }

  /**
   * {@link #gramPartials} of the basis that a commit pushing the pair s = t&middot;d,
   * y = g<sub>e</sub> &minus; g would make, computed before that commit: {@code basis[sIndex]} and
   * {@code basis[yIndex]} are null and stand for s and y, whose entries this forms tile by tile as
   * {@link #commitInPlace} forms them (t&middot;d<sub>j</sub> and g<sub>e,j</sub> &minus; g<sub>j</sub>,
   * each rounded once), into tile buffers that also take a copy of each other vector's tile. Every
   * dot adds the same products in the same order as {@link #gramPartials} after the commit: the same
   * bits, with no vector of size n formed ((2m+1) tiles of scratch).
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
    int dots = out.length;
    // Each tile of every basis vector is copied into a tile buffer (s and y formed there), and the
    // dots run over the buffers with the loop of gramPartials: the same products in the same order.
    double[][] tiles = new double[basis.length][Math.min(TILE, n)];
    for (int from = 0; from < n; from += TILE) {
      int to = Math.min(n, from + TILE);
      int len = to - from;
      double[] sTile = tiles[sIndex];
      double[] yTile = tiles[yIndex];
      for (int j = 0; j < len; j++) {
        sTile[j] = t * d[from + j];
        yTile[j] = ge[from + j] - g[from + j];
      }
      for (int l = 0; l < basis.length; l++) {
        if (l != sIndex && l != yIndex) {
          System.arraycopy(basis[l], from, tiles[l], 0, len);
        }
      }
      int k = 0;
      for (; k + 4 <= dots; k += 4) {
        double[] a0 = tiles[plan[2 * k]];
        double[] b0 = tiles[plan[2 * k + 1]];
        double[] a1 = tiles[plan[2 * k + 2]];
        double[] b1 = tiles[plan[2 * k + 3]];
        double[] a2 = tiles[plan[2 * k + 4]];
        double[] b2 = tiles[plan[2 * k + 5]];
        double[] a3 = tiles[plan[2 * k + 6]];
        double[] b3 = tiles[plan[2 * k + 7]];
        double s0 = out[k];
        double s1 = out[k + 1];
        double s2 = out[k + 2];
        double s3 = out[k + 3];
        for (int j = 0; j < len; j++) {
          s0 += a0[j] * b0[j];
          s1 += a1[j] * b1[j];
          s2 += a2[j] * b2[j];
          s3 += a3[j] * b3[j];
        }
        out[k] = s0;
        out[k + 1] = s1;
        out[k + 2] = s2;
        out[k + 3] = s3;
      }
      for (; k < dots; k++) {
        double[] a = tiles[plan[2 * k]];
        double[] b = tiles[plan[2 * k + 1]];
        double sum = out[k];
        for (int j = 0; j < len; j++) {
          sum += a[j] * b[j];
        }
        out[k] = sum;
      }
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
