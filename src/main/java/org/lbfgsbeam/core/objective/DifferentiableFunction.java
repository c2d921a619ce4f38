package org.lbfgsbeam.core.objective;

/** A function f: R<sup>n</sup> &rarr; R with its gradient, for the serial {@code Lbfgs.minimize}. */
@FunctionalInterface
public interface DifferentiableFunction {
  /** Returns f(x) and writes &nabla;f(x) into {@code gradient} (of the same length as x). */
  double valueAndGradient(double[] x, double[] gradient);
}
