package org.lbfgsbeam.core.batch;

import java.util.Arrays;
import org.lbfgsbeam.core.Checks;

/**
 * The L2 penalty R(&theta;) = (&lambda;/2) &Sigma;<sub>j &isin; S</sub> &theta;<sub>j</sub><sup>2</sup>,
 * &nabla;R = &lambda;&theta; on S, over the index ranges S (by default every entry; for a network, its
 * weights and not its biases). Summed in index order, so its bits do not depend on where it runs.
 */
public final class L2Regularizer implements Regularizer {
  private static final long serialVersionUID = 1L;

  private final double lambda;
  private final int[] ranges;

  private L2Regularizer(double lambda, int[] ranges) {
    this.lambda = lambda;
    this.ranges = ranges;
  }

  /** (&lambda;/2)&Sigma;&theta;<sub>j</sub><sup>2</sup> over every entry of &theta;. */
  public static L2Regularizer of(double lambda) {
    checkLambda(lambda);
    return new L2Regularizer(lambda, null);
  }

  /**
   * (&lambda;/2)&Sigma;&theta;<sub>j</sub><sup>2</sup> over the half-open ranges [from, to) given as
   * pairs {@code from0, to0, from1, to1, ...}, in increasing order and not overlapping.
   */
  public static L2Regularizer onRanges(double lambda, int... fromTo) {
    checkLambda(lambda);
    Checks.checkArgument(fromTo.length % 2 == 0, "ranges come in (from, to) pairs, but %s numbers"
        + " were given", fromTo.length);
    int last = 0;
    for (int i = 0; i < fromTo.length; i += 2) {
      Checks.checkArgument(fromTo[i] >= last && fromTo[i + 1] >= fromTo[i],
          "ranges must be increasing and not overlap, but were: %s", Arrays.toString(fromTo));
      last = fromTo[i + 1];
    }
    return new L2Regularizer(lambda, fromTo.clone());
  }

  private static void checkLambda(double lambda) {
    Checks.checkArgument(lambda >= 0 && Double.isFinite(lambda),
        "lambda must be finite and >= 0, but was: %s", lambda);
  }

  /** &lambda;. */
  public double lambda() {
    return lambda;
  }

  @Override
  public double addValueAndGradient(double[] theta, double[] gradient) {
    if (lambda == 0) {
      return 0;
    }
    double sum = 0;
    if (ranges == null) {
      sum = addRange(theta, gradient, 0, theta.length);
    } else {
      for (int i = 0; i < ranges.length; i += 2) {
        Checks.checkArgument(ranges[i + 1] <= theta.length,
            "regularised range [%s, %s) is beyond theta's %s entries", ranges[i], ranges[i + 1],
            theta.length);
        sum += addRange(theta, gradient, ranges[i], ranges[i + 1]);
      }
    }
    return 0.5 * lambda * sum;
  }

  private double addRange(double[] theta, double[] gradient, int from, int to) {
    double sum = 0;
    for (int j = from; j < to; j++) {
      double v = theta[j];
      sum += v * v;
      gradient[j] += lambda * v;
    }
    return sum;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof L2Regularizer other && Double.compare(lambda, other.lambda) == 0
        && Arrays.equals(ranges, other.ranges);
  }

  @Override
  public int hashCode() {
    return Double.hashCode(lambda) * 31 + Arrays.hashCode(ranges);
  }

  @Override
  public String toString() {
    return "L2Regularizer{lambda=" + lambda + (ranges == null ? "" : ", ranges="
        + Arrays.toString(ranges)) + "}";
  }
}
