package org.lbfgsbeam.core.stochastic;

import java.util.Arrays;
import java.util.Random;
import org.lbfgsbeam.core.nn.Blas;

/**
 * A microbenchmark (a main class, not a test) of the per-step vector work of {@link MomentumLbfgs} on
 * one block: the wall time of {@code partials} + {@code update} of one step, of the two-loop
 * recursion alone, with the pairs in double and in float ({@link MomentumLbfgs#withFloatHistory}),
 * and, for reference, of {@link Sgd#update} on the same block.
 *
 * <p>Set-up: a block of n parameters (default 100,000, the largest block of the MLP runs) holding M
 * pairs (default 10). The ring is filled before step 0 with pairs y = D s, D a random diagonal with
 * entries in [0.5, 1.4] (inside the damping bounds), then 2T &minus; 1 + {@code warm-up} steps run
 * untimed (the SGD warm-up, then quasi-Newton steps while the JIT compiles), then {@code steps} steps
 * are timed one by one. The gradient is g = A&theta; + noise with the same kind of diagonal A; it is
 * computed outside the timed region. Every T-th step is a pair point (two more passes and, every T
 * steps, two new arrays), which the median leaves out and the mean includes.
 *
 * <pre>
 *   mvn -o -q -pl src test-compile
 *   mvn -o -q -pl src dependency:build-classpath -Dmdep.outputFile=cp.txt
 *   OPENBLAS_NUM_THREADS=1 java -Xmx512m -cp src/target/classes:src/target/test-classes:$(cat src/cp.txt) \
 *       org.lbfgsbeam.core.stochastic.MlbfgsStepBench [n] [M] [warm-up] [steps]
 * </pre>
 */
public final class MlbfgsStepBench {
  private MlbfgsStepBench() {}

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int history = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int warmUp = args.length > 2 ? Integer.parseInt(args[2]) : 400;
    int steps = args.length > 3 ? Integer.parseInt(args[3]) : 600;
    System.out.printf("n = %d, M = %d, warm-up %d steps, timed %d steps, BLAS %s, "
        + "OPENBLAS_NUM_THREADS=%s%n", n, history, warmUp, steps, Blas.implementationName(),
        System.getenv("OPENBLAS_NUM_THREADS"));

    MomentumLbfgs opt = MomentumLbfgs.defaults().withHistory(history);
    double[] theta = timeMlbfgs("mL-BFGS", opt, n, warmUp, steps);
    timeMlbfgs("mL-BFGS float history", opt.withFloatHistory(true), n, warmUp, steps);

    Random random = new Random(7);
    double[] curvature = curvature(n, random);
    double[] gradient = new double[n];
    Sgd sgd = Sgd.defaults();
    SgdState sgdState = sgd.init(0, theta);
    long[] sgdNanos = new long[steps];
    for (int t = 0; t < warmUp + steps; t++) {
      fillGradient(curvature, theta, random, gradient);
      long start = System.nanoTime();
      sgd.update(t, sgdState, theta, gradient, new double[0], 1e-3);
      long end = System.nanoTime();
      if (t >= warmUp) {
        sgdNanos[t - warmUp] = end - start;
      }
    }
    report("SGD update", sgdNanos);
  }

  /** Times the steps of {@code opt} on a fresh block; returns the block's parameters at the end. */
  private static double[] timeMlbfgs(String name, MomentumLbfgs opt, int n, int warmUp, int steps) {
    Random random = new Random(42);
    double[] curvature = curvature(n, random);
    double[] theta = new double[n];
    for (int i = 0; i < n; i++) {
      theta[i] = random.nextGaussian();
    }
    MlbfgsState state = opt.init(0, theta);
    for (int k = 0; k < opt.history(); k++) {
      double[] s = new double[n];
      double[] y = new double[n];
      for (int i = 0; i < n; i++) {
        s[i] = 1e-3 * random.nextGaussian();
        y[i] = (0.5 + 0.9 * random.nextDouble()) * s[i];
      }
      opt.offerPair(state, s, y);
    }
    double[] gradient = new double[n];
    long untimed = opt.firstQuasiNewtonStep() + warmUp;
    long[] stepNanos = new long[steps];
    long[] twoLoopNanos = new long[steps];
    double[] q = new double[n];
    for (long t = 0; t < untimed + steps; t++) {
      fillGradient(curvature, theta, random, gradient);
      long start = System.nanoTime();
      double[] reduced = opt.partials(t, state, theta, gradient);
      opt.update(t, state, theta, gradient, reduced, 1e-3);
      long end = System.nanoTime();
      if (t >= untimed) {
        int k = (int) (t - untimed);
        stepNanos[k] = end - start;
        System.arraycopy(gradient, 0, q, 0, n);
        long startTwoLoop = System.nanoTime();
        state.applyInverseHessian(q);
        twoLoopNanos[k] = System.nanoTime() - startTwoLoop;
      }
    }
    System.out.printf("%s: pairs held %d, stored %d, skipped %d, %.1f MB of state%n", name,
        state.pairCount(), state.storedPairs(), state.skippedPairs(), state.bytes() / 1e6);
    report(name + " partials+update", stepNanos);
    report(name + " two-loop alone", twoLoopNanos);
    return theta;
  }

  /** A diagonal with entries in [0.5, 1.4]. */
  private static double[] curvature(int n, Random random) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = 0.5 + 0.9 * random.nextDouble();
    }
    return a;
  }

  /** g = A&theta; + N(0, 0.01&sup2;) noise, A = diag({@code curvature}). */
  private static void fillGradient(double[] curvature, double[] theta, Random random,
      double[] gradient) {
    for (int i = 0; i < theta.length; i++) {
      gradient[i] = curvature[i] * theta[i] + 0.01 * random.nextGaussian();
    }
  }

  private static void report(String what, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    double mean = Arrays.stream(nanos).average().orElse(Double.NaN);
    System.out.printf("%-42s median %7.3f ms  p10 %7.3f  p90 %7.3f  mean %7.3f%n", what,
        sorted[sorted.length / 2] / 1e6, sorted[sorted.length / 10] / 1e6,
        sorted[sorted.length * 9 / 10] / 1e6, mean / 1e6);
  }
}
