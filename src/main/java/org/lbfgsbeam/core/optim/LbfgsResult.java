package org.lbfgsbeam.core.optim;

/**
 * The outcome of a run, with the shape of SciPy's {@code fmin_l_bfgs_b}: the point, its value and
 * gradient, the counts and the stop reason. The point is always finite.
 *
 * @param x the final point (flat, blocks concatenated in block order)
 * @param value f(x)
 * @param gradient &nabla;f(x) (flat)
 * @param gradientMaxAbs max|&nabla;f(x)|
 * @param iterations completed iterations
 * @param evaluations objective evaluations, the start point included
 * @param dataPasses passes over the training data ({@link LbfgsCoordinator#dataPasses})
 * @param skippedUpdates (s, y) pairs skipped because s&middot;y &le; 1e-10
 * @param stopReason why the run ended
 */
public record LbfgsResult(double[] x, double value, double[] gradient, double gradientMaxAbs,
    int iterations, int evaluations, int dataPasses, int skippedUpdates, StopReason stopReason) {}
