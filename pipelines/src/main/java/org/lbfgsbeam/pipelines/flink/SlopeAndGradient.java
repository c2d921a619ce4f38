package org.lbfgsbeam.pipelines.flink;

import java.util.Arrays;

/**
 * A node's partial of the merged SLOPE phase ({@link IterationPhase}): the partials of a cached trial's
 * slope ({@code NodeOps.slopePartials}) and of its gradient pass ({@code NodeOps.gradient}: the share
 * of f and the line-search scalars), sent as one array, [k, slope<sub>1..k</sub>, scalars&hellip;], so
 * that the coordinator reduces both after one barrier. The gradient is computed speculatively: when
 * the line search cannot keep the trial (it fails the sufficient decrease), the coordinator drops its
 * scalars and the node's gradient is never referenced again.
 */
final class SlopeAndGradient {
  private SlopeAndGradient() {}

  /** [k, slope, scalars] for a slope partial of length k. */
  static double[] pack(double[] slope, double[] scalars) {
    double[] packed = new double[1 + slope.length + scalars.length];
    packed[0] = slope.length;
    System.arraycopy(slope, 0, packed, 1, slope.length);
    System.arraycopy(scalars, 0, packed, 1 + slope.length, scalars.length);
    return packed;
  }

  /** The slope partials of every node, in node order. */
  static double[][] slopes(double[][] packed) {
    double[][] slopes = new double[packed.length][];
    for (int i = 0; i < packed.length; i++) {
      slopes[i] = Arrays.copyOfRange(packed[i], 1, 1 + length(packed[i]));
    }
    return slopes;
  }

  /** The gradient scalars of every node, in node order. */
  static double[][] scalars(double[][] packed) {
    double[][] scalars = new double[packed.length][];
    for (int i = 0; i < packed.length; i++) {
      scalars[i] = Arrays.copyOfRange(packed[i], 1 + length(packed[i]), packed[i].length);
    }
    return scalars;
  }

  private static int length(double[] packed) {
    int k = (int) packed[0];
    if (k != packed[0] || k < 0 || 1 + k > packed.length) {
      throw new IllegalStateException("not a slope-and-gradient partial: its length field is "
          + packed[0] + " of " + packed.length + " entries");
    }
    return k;
  }
}
