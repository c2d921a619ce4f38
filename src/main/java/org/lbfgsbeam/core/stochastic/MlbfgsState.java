package org.lbfgsbeam.core.stochastic;

import org.lbfgsbeam.core.Checks;

/**
 * What {@link MomentumLbfgs} keeps for one block of n<sub>b</sub> parameters: plain data, mutated in
 * place by the optimiser, living where the block lives.
 *
 * <table>
 *   <caption>Contents (doubles unless said)</caption>
 *   <tr><th>field</th><th>size</th><th>meaning</th></tr>
 *   <tr><td>averageTheta, averageGradient</td><td>2 n<sub>b</sub></td>
 *       <td>the moving averages M<sup>&theta;</sup>, M<sup>g</sup></td></tr>
 *   <tr><td>pairTheta, pairGradient</td><td>2 n<sub>b</sub></td>
 *       <td>M<sup>&theta;</sup>, M<sup>g</sup> at the last pair point (the ends of the next s, y)</td></tr>
 *   <tr><td>velocity</td><td>n<sub>b</sub></td><td>the heavy-ball buffer v</td></tr>
 *   <tr><td>direction</td><td>n<sub>b</sub></td>
 *       <td>this step's direction d<sub>b</sub>, from phase 1 ({@code partials}) to phase 2
 *       ({@code update})</td></tr>
 *   <tr><td>s, &ycirc;</td><td>2 k n<sub>b</sub>, k &le; M</td>
 *       <td>the newest k stored (damped) pairs, in a ring; a row is allocated when first used; floats
 *       with a float history ({@link MomentumLbfgs#withFloatHistory})</td></tr>
 *   <tr><td>s<sup>T</sup>&ycirc;, &ycirc;<sup>T</sup>&ycirc;</td><td>2M</td><td>per stored pair,
 *       computed once when it is stored: &rho; = 1 / s<sup>T</sup>&ycirc; of the two-loop and
 *       &gamma; = s<sup>T</sup>&ycirc; / &ycirc;<sup>T</sup>&ycirc; of the newest pair</td></tr>
 *   <tr><td>&alpha;</td><td>M</td><td>scratch for the two-loop coefficients, so that a step allocates
 *       nothing</td></tr>
 *   <tr><td>q (float history only)</td><td>n<sub>b</sub> floats</td><td>the two-loop's vector in
 *       single precision</td></tr>
 * </table>
 *
 * With a full history that is (2M + 6)&middot;n<sub>b</sub> + 3M doubles, or (6n<sub>b</sub> + 3M)
 * doubles and (2M + 1)&middot;n<sub>b</sub> floats with a float history; {@link #bytes()} counts what is
 * allocated. With a float history, s<sup>T</sup>&ycirc; and &ycirc;<sup>T</sup>&ycirc; are those of
 * the rounded vectors, summed in double. {@link #applyInverseHessian} walks the ring in place (no
 * per-step copies of the pair references) and makes the 2k dots and 2k axpys of {@link BlockTwoLoop},
 * nothing more. Counters: the steps completed, the pairs stored and the pairs skipped
 * (s<sup>T</sup>&ycirc; &le; &epsilon; or not finite), and &mu;, &tau; of the last pair offered, for
 * monitoring.
 */
public final class MlbfgsState implements OptimizerState {
  private static final long serialVersionUID = 1L;

  final double[] averageTheta;
  final double[] averageGradient;
  final double[] pairTheta;
  final double[] pairGradient;
  final double[] velocity;
  final double[] direction;
  /** The pairs in double (rows null with a float history). */
  private final double[][] s;
  private final double[][] y;
  /** The pairs in float (null without a float history). */
  private final float[][] sFloat;
  private final float[][] yFloat;
  /** The two-loop's vector in float (null without a float history). */
  private final float[] qFloat;
  private final double[] sy;
  private final double[] yy;
  private final double[] alpha;
  private int count;
  /** Ring index of the oldest stored pair. */
  private int oldest;
  boolean hasPairPoint;
  /** The step whose phase 1 comes next (or whose phase 2, when {@link #inStep}). */
  long nextStep;
  /** True between a step's {@code partials} and its {@code update}. */
  boolean inStep;
  private long storedPairs;
  private long skippedPairs;
  private double lastMu = Double.NaN;
  private double lastTau = Double.NaN;

  MlbfgsState(double[] theta0, int history) {
    this(theta0, history, false);
  }

  MlbfgsState(double[] theta0, int history, boolean floatHistory) {
    Checks.checkArgument(history >= 1, "history must be positive, but was: %s", history);
    int n = theta0.length;
    averageTheta = theta0.clone();
    averageGradient = new double[n];
    pairTheta = new double[n];
    pairGradient = new double[n];
    velocity = new double[n];
    direction = new double[n];
    s = new double[history][];
    y = new double[history][];
    sFloat = floatHistory ? new float[history][] : null;
    yFloat = floatHistory ? new float[history][] : null;
    qFloat = floatHistory ? new float[n] : null;
    sy = new double[history];
    yy = new double[history];
    alpha = new double[history];
  }

  /** n<sub>b</sub>, the parameters of the block. */
  public int dimension() {
    return velocity.length;
  }

  /** Whether the pairs are kept in float. */
  public boolean floatHistory() {
    return sFloat != null;
  }

  /** M, the most pairs kept. */
  public int history() {
    return sy.length;
  }

  /** The pairs held now (at most {@link #history()}). */
  public int pairCount() {
    return count;
  }

  /** Pairs stored since the start (including those since dropped from the ring). */
  public long storedPairs() {
    return storedPairs;
  }

  /** Pairs skipped since the start because s<sup>T</sup>&ycirc; &le; &epsilon; (or was not finite). */
  public long skippedPairs() {
    return skippedPairs;
  }

  /** Steps completed (phase 2 done). */
  public long steps() {
    return nextStep;
  }

  /** &mu; = s<sup>T</sup>y / s<sup>T</sup>s of the last pair offered (NaN before the first). */
  public double lastMu() {
    return lastMu;
  }

  /** The damping &tau; of the last pair offered (NaN before the first, or when s = 0). */
  public double lastTau() {
    return lastTau;
  }

  /** A copy of s<sub>i</sub>, i = 0 the oldest pair held (widened from float with a float history). */
  public double[] s(int i) {
    return floatHistory() ? widen(sFloat[slot(i)]) : s[slot(i)].clone();
  }

  /**
   * A copy of &ycirc;<sub>i</sub> (the damped y), i = 0 the oldest pair held (widened from float with a
   * float history).
   */
  public double[] yHat(int i) {
    return floatHistory() ? widen(yFloat[slot(i)]) : y[slot(i)].clone();
  }

  private static double[] widen(float[] x) {
    double[] wide = new double[x.length];
    for (int j = 0; j < x.length; j++) {
      wide[j] = x[j];
    }
    return wide;
  }

  /** A copy of the velocity v. */
  public double[] velocity() {
    return velocity.clone();
  }

  /** A copy of M<sup>&theta;</sup>. */
  public double[] averageTheta() {
    return averageTheta.clone();
  }

  /** A copy of M<sup>g</sup>. */
  public double[] averageGradient() {
    return averageGradient.clone();
  }

  @Override
  public long bytes() {
    long doubles = 6L * dimension() + 3L * sy.length;
    long floats = qFloat == null ? 0 : qFloat.length;
    for (int i = 0; i < s.length; i++) {
      doubles += (s[i] == null ? 0 : s[i].length) + (y[i] == null ? 0 : y[i].length);
      if (sFloat != null) {
        floats += (sFloat[i] == null ? 0 : sFloat[i].length)
            + (yFloat[i] == null ? 0 : yFloat[i].length);
      }
    }
    return 8 * doubles + 4 * floats;
  }

  private int slot(int i) {
    Checks.checkArgument(i >= 0 && i < count, "pair index must be in [0, %s), but was: %s", count, i);
    return (oldest + i) % sy.length;
  }

  /**
   * s<sup>T</sup>&ycirc; as the pair would be stored: the double dot product, or with a float history
   * that of the vectors rounded to float, each product and the sum in double.
   */
  double storedCurvature(double[] sNew, double[] yNew) {
    return floatHistory() ? dotOfRounded(sNew, yNew) : BlockTwoLoop.dot(sNew, yNew);
  }

  /** &Sigma;<sub>j</sub> fl(a<sub>j</sub>)&middot;fl(b<sub>j</sub>), fl = rounding to float, in double. */
  private static double dotOfRounded(double[] a, double[] b) {
    double sum = 0;
    for (int j = 0; j < a.length; j++) {
      sum += (double) (float) a[j] * (double) (float) b[j];
    }
    return sum;
  }

  /**
   * Stores the pair (copies, rounded to float with a float history) with its s<sup>T</sup>&ycirc; =
   * {@code syNew} (from {@link #storedCurvature}) and its &ycirc;<sup>T</sup>&ycirc;, dropping the
   * oldest when M are held.
   */
  void storePair(double[] sNew, double[] yNew, double syNew) {
    int slot;
    if (count < sy.length) {
      slot = (oldest + count) % sy.length;
      count++;
    } else {
      slot = oldest;
      oldest = (oldest + 1) % sy.length;
    }
    if (floatHistory()) {
      if (sFloat[slot] == null) {
        sFloat[slot] = new float[dimension()];
        yFloat[slot] = new float[dimension()];
      }
      for (int j = 0; j < sNew.length; j++) {
        sFloat[slot][j] = (float) sNew[j];
        yFloat[slot][j] = (float) yNew[j];
      }
      yy[slot] = dotOfRounded(yNew, yNew);
    } else {
      if (s[slot] == null) {
        s[slot] = new double[dimension()];
        y[slot] = new double[dimension()];
      }
      System.arraycopy(sNew, 0, s[slot], 0, sNew.length);
      System.arraycopy(yNew, 0, y[slot], 0, yNew.length);
      yy[slot] = BlockTwoLoop.dot(yNew, yNew);
    }
    sy[slot] = syNew;
    storedPairs++;
  }

  void countSkip() {
    skippedPairs++;
  }

  void recordDamping(double mu, double tau) {
    lastMu = mu;
    lastTau = tau;
  }

  /**
   * Overwrites {@code q} with H<sub>b</sub>&middot;q (the block's two-loop recursion,
   * H<sub>0</sub> = &gamma;I with &gamma; = s<sup>T</sup>&ycirc; / &ycirc;<sup>T</sup>&ycirc; of the
   * newest pair); needs a pair.
   */
  void applyInverseHessian(double[] q) {
    int newest = (oldest + count - 1) % sy.length;
    double gamma = sy[newest] / yy[newest];
    if (floatHistory()) {
      BlockTwoLoop.applyRing(sFloat, yFloat, sy, oldest, count, gamma, q, qFloat, alpha);
    } else {
      BlockTwoLoop.applyRing(s, y, sy, oldest, count, gamma, q, alpha);
    }
  }
}
