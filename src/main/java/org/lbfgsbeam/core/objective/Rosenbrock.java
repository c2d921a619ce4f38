package org.lbfgsbeam.core.objective;

import org.lbfgsbeam.core.Checks;

/**
 * The chained (extended) Rosenbrock function of n &ge; 2 variables, the classic ill-conditioned test
 * of unconstrained minimisers (Rosenbrock, Comput. J. 1960; the chained form as in Nocedal &amp;
 * Wright, Numerical Optimization, 2nd ed., eq. 9.21):
 * <pre>
 *   f(x) = &Sigma;<sub>i=0</sub><sup>n&minus;2</sup> [ 100 (x<sub>i+1</sub> &minus; x<sub>i</sub>&sup2;)&sup2; + (1 &minus; x<sub>i</sub>)&sup2; ]
 *   &part;f/&part;x<sub>i</sub> gets &minus;400 x<sub>i</sub> a<sub>i</sub> &minus; 2 b<sub>i</sub> from term i and 200 a<sub>i&minus;1</sub> from term i&minus;1,
 *   with a<sub>i</sub> = x<sub>i+1</sub> &minus; x<sub>i</sub>&sup2; and b<sub>i</sub> = 1 &minus; x<sub>i</sub>.
 * </pre>
 * Its global minimum is f(1, &hellip;, 1) = 0 with a zero gradient, both exact in floating point;
 * the usual start is (&minus;1.2, 1, &minus;1.2, 1, &hellip;) ({@link #standardStart}). Stateless and
 * thread-safe.
 */
public final class Rosenbrock implements DifferentiableFunction {

  /** The chained Rosenbrock function; the dimension is taken from each point. */
  public Rosenbrock() {}

  /** (&minus;1.2, 1, &minus;1.2, 1, &hellip;) of length n. */
  public static double[] standardStart(int n) {
    Checks.checkArgument(n >= 2, "Rosenbrock needs n >= 2 variables, but was: %s", n);
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = i % 2 == 0 ? -1.2 : 1;
    }
    return x;
  }

  @Override
  public double valueAndGradient(double[] x, double[] gradient) {
    Checks.checkArgument(x.length >= 2, "Rosenbrock needs n >= 2 variables, but was: %s", x.length);
    Checks.checkArgument(gradient.length == x.length,
        "gradient must have the length of x (%s), but had length: %s", x.length, gradient.length);
    java.util.Arrays.fill(gradient, 0);
    double f = 0;
    for (int i = 0; i + 1 < x.length; i++) {
      double a = x[i + 1] - x[i] * x[i];
      double b = 1 - x[i];
      f += 100 * a * a + b * b;
      gradient[i] += -400 * x[i] * a - 2 * b;
      gradient[i + 1] += 200 * a;
    }
    return f;
  }

  @Override
  public String toString() {
    return "Rosenbrock";
  }
}
