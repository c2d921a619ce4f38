package org.lbfgsbeam.pipelines.flink;

import java.util.Arrays;

/**
 * A node's partial of the merged SLOPE phase ({@link IterationPhase}): the partials of a cached trial's
 * slope ({@code NodeOps.slopePartials}), of its gradient pass ({@code NodeOps.gradient}: the share
 * of f and the line-search scalars) and, when the coordinator asked for them, the next superstep's
 * speculative Gram entries ({@link SpeculativeGram}), sent as one array,
 * [k, slope<sub>1..k</sub>, l, scalars<sub>1..l</sub>, gram&hellip;], so that the coordinator reduces
 * them all after one barrier. The gradient is computed speculatively: when the line search cannot
 * keep the trial (it fails the sufficient decrease), the coordinator drops its scalars and the
 * node's gradient is never referenced again; the Gram entries likewise when the next superstep is not
 * the commit they were computed for.
 */
final class SlopeAndGradient {
  private SlopeAndGradient() {}

  /** [k, slope, l, scalars, gram] for a slope partial of length k and scalars of length l. */
  static double[] pack(double[] slope, double[] scalars, double[] gram) {
    double[] packed = new double[2 + slope.length + scalars.length + gram.length];
    packed[0] = slope.length;
    System.arraycopy(slope, 0, packed, 1, slope.length);
    packed[1 + slope.length] = scalars.length;
    System.arraycopy(scalars, 0, packed, 2 + slope.length, scalars.length);
    System.arraycopy(gram, 0, packed, 2 + slope.length + scalars.length, gram.length);
    return packed;
  }

  /** The slope partials of every node, in node order. */
  static double[][] slopes(double[][] packed) {
    double[][] out = new double[packed.length][];
    for (int i = 0; i < packed.length; i++) {
      out[i] = Arrays.copyOfRange(packed[i], 1, 1 + slopeLength(packed[i]));
    }
    return out;
  }

  /** The gradient scalars of every node, in node order. */
  static double[][] scalars(double[][] packed) {
    double[][] out = new double[packed.length][];
    for (int i = 0; i < packed.length; i++) {
      int from = 2 + slopeLength(packed[i]);
      out[i] = Arrays.copyOfRange(packed[i], from, from + scalarsLength(packed[i]));
    }
    return out;
  }

  /** The speculative Gram partials of every node, in node order (empty arrays when none were sent). */
  static double[][] gram(double[][] packed) {
    double[][] out = new double[packed.length][];
    for (int i = 0; i < packed.length; i++) {
      int from = 2 + slopeLength(packed[i]) + scalarsLength(packed[i]);
      out[i] = Arrays.copyOfRange(packed[i], from, packed[i].length);
    }
    return out;
  }

  private static int slopeLength(double[] packed) {
    return length(packed, 0, packed[0]);
  }

  private static int scalarsLength(double[] packed) {
    int k = slopeLength(packed);
    return length(packed, 2 + k, packed[1 + k]);
  }

  private static int length(double[] packed, int from, double field) {
    int k = (int) field;
    if (k != field || k < 0 || from + k > packed.length) {
      throw new IllegalStateException("not a slope-and-gradient partial: a length field is "
          + field + " at " + from + " of " + packed.length + " entries");
    }
    return k;
  }
}
