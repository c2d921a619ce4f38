package org.lbfgsbeam.core.optim;

import java.io.Serializable;
import org.lbfgsbeam.core.Checks;

/**
 * Immutable options of an L-BFGS run; defaults follow minFunc. Change one with a {@code with...} method,
 * which validates its argument and returns a copy.
 *
 * <table>
 *   <caption>Options and defaults</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>history</td><td>5</td><td>m, the number of (s, y) pairs kept</td></tr>
 *   <tr><td>gradientTolerance</td><td>1e-5</td><td>stop when max|g| &le; this</td></tr>
 *   <tr><td>progressTolerance</td><td>1e-9</td><td>stop when |&Delta;f| or max|t&middot;d| fall below this</td></tr>
 *   <tr><td>maxIterations</td><td>500</td><td>outer iterations</td></tr>
 *   <tr><td>maxEvaluations</td><td>1000</td><td>objective evaluations (passes over the data)</td></tr>
 *   <tr><td>c1, c2</td><td>1e-4, 0.9</td><td>strong-Wolfe sufficient-decrease and curvature constants</td></tr>
 *   <tr><td>maxLineSearchEvaluations</td><td>25</td><td>evaluations in one line search</td></tr>
 *   <tr><td>directionMethod</td><td>VECTOR_FREE</td><td>see {@link DirectionMethod}</td></tr>
 * </table>
 */
public final class LbfgsOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  /** An (s, y) pair is skipped when s&middot;y is at or below this, as in minFunc. */
  public static final double CURVATURE_THRESHOLD = 1e-10;

  private final int history;
  private final double gradientTolerance;
  private final double progressTolerance;
  private final int maxIterations;
  private final int maxEvaluations;
  private final double c1;
  private final double c2;
  private final int maxLineSearchEvaluations;
  private final DirectionMethod directionMethod;

  private LbfgsOptions(int history, double gradientTolerance, double progressTolerance,
      int maxIterations, int maxEvaluations, double c1, double c2, int maxLineSearchEvaluations,
      DirectionMethod directionMethod) {
    this.history = history;
    this.gradientTolerance = gradientTolerance;
    this.progressTolerance = progressTolerance;
    this.maxIterations = maxIterations;
    this.maxEvaluations = maxEvaluations;
    this.c1 = c1;
    this.c2 = c2;
    this.maxLineSearchEvaluations = maxLineSearchEvaluations;
    this.directionMethod = directionMethod;
  }

  /** The minFunc defaults listed in the class comment. */
  public static LbfgsOptions defaults() {
    return new LbfgsOptions(5, 1e-5, 1e-9, 500, 1000, 1e-4, 0.9, 25, DirectionMethod.VECTOR_FREE);
  }

  public LbfgsOptions withHistory(int m) {
    Checks.checkArgument(m >= 1 && m <= 1000, "history must be in [1, 1000], but was: %s", m);
    return new LbfgsOptions(m, gradientTolerance, progressTolerance, maxIterations, maxEvaluations,
        c1, c2, maxLineSearchEvaluations, directionMethod);
  }

  public LbfgsOptions withGradientTolerance(double tolerance) {
    Checks.checkArgument(tolerance >= 0 && Double.isFinite(tolerance),
        "gradient tolerance must be finite and >= 0, but was: %s", tolerance);
    return new LbfgsOptions(history, tolerance, progressTolerance, maxIterations, maxEvaluations,
        c1, c2, maxLineSearchEvaluations, directionMethod);
  }

  public LbfgsOptions withProgressTolerance(double tolerance) {
    Checks.checkArgument(tolerance >= 0 && Double.isFinite(tolerance),
        "progress tolerance must be finite and >= 0, but was: %s", tolerance);
    return new LbfgsOptions(history, gradientTolerance, tolerance, maxIterations, maxEvaluations,
        c1, c2, maxLineSearchEvaluations, directionMethod);
  }

  public LbfgsOptions withMaxIterations(int n) {
    Checks.checkArgument(n >= 1, "max iterations must be positive, but was: %s", n);
    return new LbfgsOptions(history, gradientTolerance, progressTolerance, n, maxEvaluations,
        c1, c2, maxLineSearchEvaluations, directionMethod);
  }

  public LbfgsOptions withMaxEvaluations(int n) {
    Checks.checkArgument(n >= 2, "max evaluations must be at least 2, but was: %s", n);
    return new LbfgsOptions(history, gradientTolerance, progressTolerance, maxIterations, n,
        c1, c2, maxLineSearchEvaluations, directionMethod);
  }

  public LbfgsOptions withWolfeConstants(double newC1, double newC2) {
    Checks.checkArgument(newC1 > 0 && newC1 < newC2 && newC2 < 1,
        "Wolfe constants need 0 < c1 < c2 < 1, but were: c1=%s c2=%s", newC1, newC2);
    return new LbfgsOptions(history, gradientTolerance, progressTolerance, maxIterations,
        maxEvaluations, newC1, newC2, maxLineSearchEvaluations, directionMethod);
  }

  public LbfgsOptions withMaxLineSearchEvaluations(int n) {
    Checks.checkArgument(n >= 1 && n <= 1000,
        "max line-search evaluations must be in [1, 1000], but was: %s", n);
    return new LbfgsOptions(history, gradientTolerance, progressTolerance, maxIterations,
        maxEvaluations, c1, c2, n, directionMethod);
  }

  public LbfgsOptions withDirectionMethod(DirectionMethod method) {
    Checks.checkArgument(method != null, "direction method must not be null, but was: %s", method);
    return new LbfgsOptions(history, gradientTolerance, progressTolerance, maxIterations,
        maxEvaluations, c1, c2, maxLineSearchEvaluations, method);
  }

  public int history() { return history; }
  public double gradientTolerance() { return gradientTolerance; }
  public double progressTolerance() { return progressTolerance; }
  public int maxIterations() { return maxIterations; }
  public int maxEvaluations() { return maxEvaluations; }
  public double c1() { return c1; }
  public double c2() { return c2; }
  public int maxLineSearchEvaluations() { return maxLineSearchEvaluations; }
  public DirectionMethod directionMethod() { return directionMethod; }

  @Override
  public String toString() {
    return "LbfgsOptions{history=" + history + ", gradientTolerance=" + gradientTolerance
        + ", progressTolerance=" + progressTolerance + ", maxIterations=" + maxIterations
        + ", maxEvaluations=" + maxEvaluations + ", c1=" + c1 + ", c2=" + c2
        + ", maxLineSearchEvaluations=" + maxLineSearchEvaluations
        + ", directionMethod=" + directionMethod + "}";
  }
}
