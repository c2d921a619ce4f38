package org.lbfgsbeam.core.optim;

/**
 * The minimiser of the cubic that interpolates two points with function values and derivatives, as
 * minFunc's {@code polyinterp} computes it for two points (Nocedal and Wright, eq. 3.59).
 *
 * <p>With x<sub>1</sub> the smaller abscissa:
 * d<sub>1</sub> = g<sub>1</sub> + g<sub>2</sub> &minus; 3(f<sub>1</sub> &minus; f<sub>2</sub>)/(x<sub>1</sub> &minus; x<sub>2</sub>),
 * d<sub>2</sub> = &radic;(d<sub>1</sub>&sup2; &minus; g<sub>1</sub>g<sub>2</sub>),
 * t = x<sub>2</sub> &minus; (x<sub>2</sub> &minus; x<sub>1</sub>)(g<sub>2</sub> + d<sub>2</sub> &minus; d<sub>1</sub>)/(g<sub>2</sub> &minus; g<sub>1</sub> + 2d<sub>2</sub>),
 * clamped to [lower, upper]. When the cubic has no real minimiser (d<sub>1</sub>&sup2; &lt; g<sub>1</sub>g<sub>2</sub>)
 * the midpoint of the bounds is returned.
 */
final class CubicInterpolation {
  private CubicInterpolation() {}

  /** The cubic minimiser clamped to [min(xa, xb), max(xa, xb)]. */
  static double minimize(double xa, double fa, double ga, double xb, double fb, double gb) {
    return minimize(xa, fa, ga, xb, fb, gb, Math.min(xa, xb), Math.max(xa, xb));
  }

  /** The cubic minimiser clamped to [lower, upper]. */
  static double minimize(double xa, double fa, double ga, double xb, double fb, double gb,
      double lower, double upper) {
    // minFunc orders the two points by abscissa: "min" is the point with the smaller x.
    double x1 = xa, f1 = fa, g1 = ga, x2 = xb, f2 = fb, g2 = gb;
    if (xb < xa) {
      x1 = xb; f1 = fb; g1 = gb; x2 = xa; f2 = fa; g2 = ga;
    }
    double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
    double radicand = d1 * d1 - g1 * g2;
    if (radicand >= 0) {
      double d2 = Math.sqrt(radicand);
      double t = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
      if (Double.isNaN(t)) {
        return (lower + upper) / 2;
      }
      return Math.min(Math.max(t, lower), upper);
    }
    return (lower + upper) / 2;
  }
}
