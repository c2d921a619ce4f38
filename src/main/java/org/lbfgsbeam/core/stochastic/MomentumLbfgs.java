package org.lbfgsbeam.core.stochastic;

import org.lbfgsbeam.core.Checks;

/**
 * mL-BFGS, a momentum-based stochastic L-BFGS with a block-wise Hessian (Niu, Fabian, Lee,
 * Soltanolkotabi, Avestimehr, <i>mL-BFGS: A Momentum-based L-BFGS for Distributed Large-scale Neural
 * Network Optimization</i>, TMLR 2023, arXiv:2307.13744). The curvature pairs are differences of
 * moving averages of the parameters and of the gradients, which averages out the mini-batch noise that
 * makes plain stochastic L-BFGS pairs unreliable; each block keeps its own averages and pairs, so the
 * inverse Hessian is block-diagonal and the history is spread over the blocks' nodes.
 *
 * <h2>One step t (0-based) on block b</h2>
 *
 * Phase 1 ({@link #partials}), local to the block, with g the block's mini-batch gradient:
 * <pre>
 *   g&#771; = g + &lambda;&theta;                                    coupled weight decay (L2)
 *   M<sup>&theta;</sup> &larr; &beta;M<sup>&theta;</sup> + (1&minus;&beta;)&theta;,  M<sup>g</sup> &larr; &beta;M<sup>g</sup> + (1&minus;&beta;)g&#771;     (t = 0: M<sup>&theta;</sup> = &theta;<sub>0</sub>, M<sup>g</sup> = g&#771;<sub>0</sub>)
 *   if (t+1) mod T = 0:                               a pair point
 *     s = M<sup>&theta;</sup> &minus; M<sup>&theta;</sup><sub>prev</sub>,  y = M<sup>g</sup> &minus; M<sup>g</sup><sub>prev</sub>           (none at the first pair point)
 *     &mu; = s<sup>T</sup>y / s<sup>T</sup>s                              (sums over the block)
 *     &tau; = min((1&minus;&sigma;<sub>L</sub>)/(1&minus;&mu;), &tau;<sub>0</sub>)   if &mu; &le; &sigma;<sub>L</sub>
 *       = min((&sigma;<sub>H</sub>&minus;1)/(&mu;&minus;1), &tau;<sub>0</sub>)   if &mu; &ge; &sigma;<sub>H</sub>
 *       = &tau;<sub>0</sub>                         otherwise
 *     &ycirc; = &tau;y + (1&minus;&tau;)s;  store (s, &ycirc;) if s<sup>T</sup>&ycirc; &gt; &epsilon; (keeping the newest M), else count a skip
 *     M<sub>prev</sub> &larr; M                                     (also after a skip)
 *   d<sub>b</sub> = H<sub>b</sub> g&#771;  by {@link BlockTwoLoop}, H<sub>0</sub> = (s<sup>T</sup>&ycirc; / &ycirc;<sup>T</sup>&ycirc;)&middot;I of the newest pair,
 *         if t &ge; 2T&minus;1 and the block holds a pair;  d<sub>b</sub> = g&#771; otherwise
 *   return [ d<sub>b</sub><sup>T</sup>g&#771;<sub>b</sub>,  d<sub>b</sub><sup>T</sup>d<sub>b</sub> ]
 * </pre>
 * The partials of all blocks are summed in block order (the one global reduction of the step) into
 * [&Sigma; d<sup>T</sup>g&#771;, &Sigma; |d|&sup2;]. Phase 2 ({@link #update}), with learning rate &eta;:
 * <pre>
 *   c = 1                                                 if t &lt; 2T&minus;1 (SGD warm-up)
 *   c = min(1, sqrt(&kappa; / &Sigma; d<sup>T</sup>g&#771;))                          KL_CLIP (default)
 *   c = 1 / sqrt(&Sigma; |d|&sup2;)                                   UNIT_NORM
 *   v &larr; &mu;<sub>m</sub> v + c d<sub>b</sub>,   &theta; &larr; &theta; &minus; &eta; v                 heavy ball, v = 0 before step 0
 * </pre>
 * Since s<sup>T</sup>&ycirc; / s<sup>T</sup>s = 1 &minus; &tau;(1 &minus; &mu;), the damping keeps it in
 * [&sigma;<sub>L</sub>, &sigma;<sub>H</sub>] whatever &mu; is (with &tau; capped at &tau;<sub>0</sub> &le; 1
 * it only moves further inside), so every stored pair has positive curvature when &sigma;<sub>L</sub>
 * &gt; 0 and H<sub>b</sub> is positive definite; the &epsilon; test only rejects degenerate pairs
 * (s &asymp; 0, a block that did not move) and non-finite ones. The averages are linear, so on a
 * quadratic M<sup>g</sup> = A M<sup>&theta;</sup> + (average of the noise) and y = A s + (difference
 * of averaged noise): while the iterate drifts, s keeps the drift and the noise is reduced by about
 * sqrt((1&minus;&beta;)/(1+&beta;)) against raw pairs (&beta; = 0, plain stochastic L-BFGS with
 * damping). Once the iterate only fluctuates around an optimum, averaging shrinks s as much as the
 * noise, and the pairs become noisy again.
 *
 * <h2>Passes over the block per step</h2>
 * Phase 1 is one pass computing g&#771; into the direction buffer together with both averages (the same
 * arithmetic per entry as three separate loops); at a pair point one more pass forms s and y and moves
 * M<sub>prev</sub>, and the damping makes three dot products and one combination (every T steps, the
 * only allocations: s, y, &ycirc;). A quasi-Newton step then runs the two-loop recursion in place (2k
 * dots, 2k axpys and one scaling, k &le; M, with &rho; and &gamma; kept per pair, see
 * {@link MlbfgsState}) and two dot products d<sup>T</sup>d and d<sup>T</sup>g (a third,
 * &lambda;d<sup>T</sup>&theta;, with weight decay, since g&#771; has been overwritten by d); a warm-up
 * step makes only d<sup>T</sup>d, which is also d<sup>T</sup>g&#771;. Phase 2 is one pass (v, then
 * &theta;). The dot products, axpys and the scaling go to OpenBLAS through {@link
 * org.lbfgsbeam.core.nn.Blas}: its SIMD sums are several times faster than a left-to-right loop and
 * round in another order, so results differ from a loop in the last digits; for a fixed OpenBLAS
 * thread count (the project pins one) they are the same on every run. What is left is bound by
 * memory bandwidth: the two-loop reads each stored vector twice, 4kn<sub>b</sub> doubles per step
 * (test class {@code MlbfgsStepBench} measures a step). {@link #withFloatHistory} stores the pairs in
 * float and halves those bytes, at the price of a single-precision two-loop.
 *
 * <h2>Choices where the authors' code and the paper's formulas differ</h2>
 * The paper's formulas are followed; the authors' block-wise code is {@code opt/slimblock.py}, class
 * {@code BlockSlimQN}, of github.com/yuehniu/mL-BFGS (commit 7aef5be); their whole-model
 * {@code opt/slim.py} and Osawa's ASDL {@code asdfghjkl/precondition/lbfgs.py} (class {@code LBFGS},
 * adapted from the authors' code; removed in ASDL commit 9aeb764, read at cd7c880) were compared too.
 * <ul>
 *   <li><b>Normalised averages.</b> M &larr; &beta;M + (1&minus;&beta;)x as in the paper;
 *       slimblock.py:135 keeps unnormalised sums M &larr; &beta;M + x (slim.py:119&ndash;121 and
 *       lbfgs.py:96&ndash;97 normalise). Scaling s and y by one common factor changes neither &mu;,
 *       &tau;, H<sub>0</sub> nor H, so only the start-up transient and the absolute &epsilon; test
 *       differ.</li>
 *   <li><b>Initialisation, no bias correction.</b> M<sup>&theta;</sup> = &theta;<sub>0</sub> and
 *       M<sup>g</sup> = g&#771;<sub>0</sub> at step 0 (slimblock.py:175&ndash;176, 238&ndash;239;
 *       lbfgs.py:92&ndash;93 clone the first value): the averages start unbiased, so there is no Adam-style
 *       correction.</li>
 *   <li><b>No reset of the gradient average.</b> slimblock.py:248 sets M<sup>g</sup> back to the
 *       current gradient after each pair point (so y is a difference of averages over different windows);
 *       here M<sup>g</sup> runs on, as M<sup>&theta;</sup> does there and both do in the paper (the reset
 *       is commented out in slim.py:175).</li>
 *   <li><b>One &beta;.</b> The paper has one &beta; for both averages; slimblock.py:21 has
 *       {@code mm_p}, {@code mm_g} (the published runs set both to the same value).</li>
 *   <li><b>No second momentum on the pairs.</b> slimblock.py:202&ndash;204 and 266&ndash;268 also average
 *       s and y over pairs ({@code mmm}); that is not in the paper's formulas and is left out.</li>
 *   <li><b>Weight decay coupled everywhere.</b> g&#771; = g + &lambda;&theta; enters the average, the
 *       direction and the warm-up (slimblock.py:331 and :393 add &lambda;&theta;; :237 adds &lambda;g to
 *       the averaged gradient, read as a typo).</li>
 *   <li><b>Block-wise &mu;, &tau;, H<sub>0</sub>.</b> s<sup>T</sup>y, s<sup>T</sup>s, s<sup>T</sup>&ycirc;
 *       and &ycirc;<sup>T</sup>&ycirc; are sums over the block, as in slimblock.py:277&ndash;302 (the
 *       paper's block-wise Hessian), so they need no communication.</li>
 *   <li><b>Damping.</b> &tau;<sub>0</sub> is the code's 1 &minus; {@code damping} (slimblock.py:282,
 *       lbfgs.py:123); the code tests &mu; &lt; &sigma;<sub>L</sub> and &mu; &gt; &sigma;<sub>H</sub> strictly,
 *       which gives the same &tau; at equality; &mu; has no +1e&minus;12 guard here: s = 0 is skipped.</li>
 *   <li><b>Skipped pairs.</b> s<sup>T</sup>&ycirc; &le; &epsilon; (or NaN) is not stored and is counted, as
 *       in lbfgs.py:126&ndash;131 and slim.py:217&ndash;224; slimblock.py stores every pair. The reference
 *       point M<sub>prev</sub> moves on after a skip (lbfgs.py:132&ndash;133).</li>
 *   <li><b>Direction scaling.</b> Default KL clipping c = min(1, sqrt(&kappa; / g<sup>T</sup>Hg)) as in
 *       lbfgs.py:177&ndash;180 and slim.py:253&ndash;262, with the sum over all blocks (global);
 *       UNIT_NORM is slimblock.py:354 and :367 (the direction divided by its global norm; the KL clip is
 *       commented out there, :350&ndash;356). The KL product uses g&#771; (with weight decay), not the raw
 *       gradient of lbfgs.py:149/179, so that it is g&#771;<sup>T</sup>Hg&#771; &ge; 0.</li>
 *   <li><b>Warm-up.</b> The code's 1-based step counter makes the first pair point step T (a reference
 *       only) and the first pair step 2T, used in that same step (slimblock.py:373&ndash;382): here steps
 *       0 &hellip; 2T&minus;2 are SGD with the same momentum and no scaling, and from step 2T&minus;1 the
 *       quasi-Newton direction is scaled. The phase is decided from t alone, so all blocks agree; a block
 *       that holds no pair yet (all skipped) uses d<sub>b</sub> = g&#771;<sub>b</sub>.</li>
 * </ul>
 *
 * <h2>Hyperparameters and defaults</h2>
 * The paper's hyperparameter table was not available here; the defaults are the authors' published
 * configuration ({@code run-SLIM.sh} and the README commands of github.com/yuehniu/mL-BFGS, used for
 * ResNet-18 and DeiT on CIFAR-100 and ResNet-50 on ImageNet) and their code.
 * <table>
 *   <caption>Hyperparameters</caption>
 *   <tr><th>name</th><th>default</th><th>source</th></tr>
 *   <tr><td>&beta; (averages)</td><td>0.999</td><td>README commands: {@code MM} = 0.999,
 *       which run-SLIM.sh passes as both {@code --mm-p} and {@code --mm-g}</td></tr>
 *   <tr><td>T (pair period)</td><td>50</td><td>README commands: {@code FREQ} = 50
 *       ({@code --update-freq}) in all three runs</td></tr>
 *   <tr><td>M (history)</td><td>10</td><td>run-SLIM.sh: {@code --hist-sz=10}</td></tr>
 *   <tr><td>&sigma;<sub>L</sub>, &sigma;<sub>H</sub></td><td>0.01, 1.5</td><td>slimblock.py:67&ndash;68
 *       ({@code tao_lb}, {@code tao_ub}); lbfgs.py:40&ndash;41 and slim.py:61 use
 *       &sigma;<sub>H</sub> = 1</td></tr>
 *   <tr><td>&tau;<sub>0</sub></td><td>0.99</td><td>1 &minus; {@code --lbfgs-damping=0.01} (run-SLIM.sh),
 *       slimblock.py:282</td></tr>
 *   <tr><td>&epsilon; (skip)</td><td>1e&minus;12</td><td>slimblock.py:14, the block-wise code's only
 *       curvature guard (slim.py:23 and lbfgs.py:42 skip below 1e&minus;4 on the whole model; an
 *       absolute threshold depends on the scale of s, which shrinks with 1 &minus; &beta; and with the
 *       block)</td></tr>
 *   <tr><td>&mu;<sub>m</sub> (heavy ball)</td><td>0.9</td><td>README commands ({@code MOMENTUM} 0.9),
 *       slimblock.py:20</td></tr>
 *   <tr><td>&lambda; (weight decay)</td><td>0</td><td>slimblock.py:20 (the runs use 2e&minus;4 or
 *       5e&minus;4, per task)</td></tr>
 *   <tr><td>scaling</td><td>KL_CLIP</td><td>ASDL lbfgs.py:177&ndash;180</td></tr>
 *   <tr><td>&kappa; (KL clip)</td><td>0.005</td><td>lbfgs.py:39, slim.py:25</td></tr>
 *   <tr><td>float history</td><td>off</td><td>not in the paper or its code (which keep the pairs in
 *       the parameters' precision); see {@link #withFloatHistory}</td></tr>
 * </table>
 *
 * <p>Immutable: change a hyperparameter with a {@code with...} method, which validates it and returns a
 * copy. All mutable data is in the {@link MlbfgsState} of each block.
 */
public final class MomentumLbfgs implements StochasticOptimizer {
  private static final long serialVersionUID = 1L;

  /** How the global reduction scales the quasi-Newton direction (see the class comment). */
  public enum DirectionScaling {
    /**
     * c = min(1, sqrt(&kappa; / &Sigma;<sub>b</sub> d<sub>b</sub><sup>T</sup>g&#771;<sub>b</sub>)),
     * ASDL's and slim.py's rule.
     */
    KL_CLIP,
    /** c = 1 / sqrt(&Sigma;<sub>b</sub> |d<sub>b</sub>|&sup2;), slimblock.py's rule: a unit direction. */
    UNIT_NORM
  }

  private final double beta;
  private final int period;
  private final int history;
  private final double sigmaLow;
  private final double sigmaHigh;
  private final double tau0;
  private final double epsilon;
  private final double momentum;
  private final double weightDecay;
  private final DirectionScaling scaling;
  private final double klClip;
  private final boolean floatHistory;

  private MomentumLbfgs(double beta, int period, int history, double sigmaLow, double sigmaHigh,
      double tau0, double epsilon, double momentum, double weightDecay, DirectionScaling scaling,
      double klClip, boolean floatHistory) {
    this.beta = beta;
    this.period = period;
    this.history = history;
    this.sigmaLow = sigmaLow;
    this.sigmaHigh = sigmaHigh;
    this.tau0 = tau0;
    this.epsilon = epsilon;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.scaling = scaling;
    this.klClip = klClip;
    this.floatHistory = floatHistory;
  }

  /** The defaults of the class comment's table. */
  public static MomentumLbfgs defaults() {
    return new MomentumLbfgs(0.999, 50, 10, 0.01, 1.5, 0.99, 1e-12, 0.9, 0, DirectionScaling.KL_CLIP,
        0.005, false);
  }

  /** A copy with averaging factor &beta; in [0, 1); &beta; = 0 gives pairs from the raw &theta; and g. */
  public MomentumLbfgs withBeta(double b) {
    Checks.checkArgument(b >= 0 && b < 1, "beta must be in [0, 1), but was: %s", b);
    return new MomentumLbfgs(b, period, history, sigmaLow, sigmaHigh, tau0, epsilon, momentum,
        weightDecay, scaling, klClip, floatHistory);
  }

  /** A copy with a pair every {@code t} &ge; 1 steps. */
  public MomentumLbfgs withPairPeriod(int t) {
    Checks.checkArgument(t >= 1, "pair period T must be positive, but was: %s", t);
    return new MomentumLbfgs(beta, t, history, sigmaLow, sigmaHigh, tau0, epsilon, momentum,
        weightDecay, scaling, klClip, floatHistory);
  }

  /** A copy keeping the newest {@code m} &ge; 1 pairs per block. */
  public MomentumLbfgs withHistory(int m) {
    Checks.checkArgument(m >= 1 && m <= 10_000, "history M must be in [1, 10000], but was: %s", m);
    return new MomentumLbfgs(beta, period, m, sigmaLow, sigmaHigh, tau0, epsilon, momentum,
        weightDecay, scaling, klClip, floatHistory);
  }

  /** A copy with damping bounds 0 &le; &sigma;<sub>L</sub> &lt; 1 &lt; &sigma;<sub>H</sub> (finite). */
  public MomentumLbfgs withDampingBounds(double low, double high) {
    Checks.checkArgument(low >= 0 && low < 1, "sigma_L must be in [0, 1), but was: %s", low);
    Checks.checkArgument(high > 1 && Double.isFinite(high),
        "sigma_H must be finite and > 1, but was: %s", high);
    return new MomentumLbfgs(beta, period, history, low, high, tau0, epsilon, momentum, weightDecay,
        scaling, klClip, floatHistory);
  }

  /** A copy with the largest damping weight &tau;<sub>0</sub> in (0, 1] (1 &minus; the code's {@code damping}). */
  public MomentumLbfgs withTau0(double t) {
    Checks.checkArgument(t > 0 && t <= 1, "tau_0 must be in (0, 1], but was: %s", t);
    return new MomentumLbfgs(beta, period, history, sigmaLow, sigmaHigh, t, epsilon, momentum,
        weightDecay, scaling, klClip, floatHistory);
  }

  /** A copy skipping pairs with s<sup>T</sup>&ycirc; &le; {@code e} (finite, &ge; 0). */
  public MomentumLbfgs withCurvatureThreshold(double e) {
    Checks.checkArgument(e >= 0 && Double.isFinite(e),
        "curvature threshold epsilon must be finite and >= 0, but was: %s", e);
    return new MomentumLbfgs(beta, period, history, sigmaLow, sigmaHigh, tau0, e, momentum,
        weightDecay, scaling, klClip, floatHistory);
  }

  /** A copy with heavy-ball momentum &mu;<sub>m</sub> in [0, 1). */
  public MomentumLbfgs withMomentum(double mu) {
    Checks.checkArgument(mu >= 0 && mu < 1, "momentum must be in [0, 1), but was: %s", mu);
    return new MomentumLbfgs(beta, period, history, sigmaLow, sigmaHigh, tau0, epsilon, mu,
        weightDecay, scaling, klClip, floatHistory);
  }

  /** A copy with coupled (L2) weight decay &lambda; &ge; 0, added to the gradient as &lambda;&theta;. */
  public MomentumLbfgs withWeightDecay(double lambda) {
    Checks.checkArgument(lambda >= 0 && Double.isFinite(lambda),
        "weight decay must be finite and >= 0, but was: %s", lambda);
    return new MomentumLbfgs(beta, period, history, sigmaLow, sigmaHigh, tau0, epsilon, momentum,
        lambda, scaling, klClip, floatHistory);
  }

  /** A copy with the given global direction scaling. */
  public MomentumLbfgs withScaling(DirectionScaling s) {
    Checks.checkArgument(s != null, "scaling must not be null, but was: %s", s);
    return new MomentumLbfgs(beta, period, history, sigmaLow, sigmaHigh, tau0, epsilon, momentum,
        weightDecay, s, klClip, floatHistory);
  }

  /** A copy with KL-clip bound &kappa; &gt; 0 (finite), used by {@link DirectionScaling#KL_CLIP}. */
  public MomentumLbfgs withKlClip(double kappa) {
    Checks.checkArgument(kappa > 0 && Double.isFinite(kappa),
        "KL clip kappa must be finite and > 0, but was: %s", kappa);
    return new MomentumLbfgs(beta, period, history, sigmaLow, sigmaHigh, tau0, epsilon, momentum,
        weightDecay, scaling, kappa, floatHistory);
  }

  /**
   * A copy that stores the pairs (s, &ycirc;) in float (on) or in double (off, the default). In float
   * the pairs take half the memory (4 instead of 8 bytes per entry, 2M&middot;n<sub>b</sub> entries per
   * block) and the two-loop reads half the bytes; it then runs in single precision (q rounded to float,
   * float axpys and dot products, see {@link BlockTwoLoop}), so the direction differs from the double
   * one by float roundings (measured: 4&middot;10<sup>&minus;7</sup> relative for a block of
   * 10<sup>5</sup> with M = 10). s<sup>T</sup>&ycirc; and &ycirc;<sup>T</sup>&ycirc;
   * are computed from the rounded vectors, in double, and the &epsilon; test applies to them: H<sub>b</sub>
   * is the inverse-BFGS matrix of the pairs actually stored, positive definite as in double.
   */
  public MomentumLbfgs withFloatHistory(boolean on) {
    return new MomentumLbfgs(beta, period, history, sigmaLow, sigmaHigh, tau0, epsilon, momentum,
        weightDecay, scaling, klClip, on);
  }

  public double beta() {
    return beta;
  }

  public int pairPeriod() {
    return period;
  }

  public int history() {
    return history;
  }

  public double sigmaLow() {
    return sigmaLow;
  }

  public double sigmaHigh() {
    return sigmaHigh;
  }

  public double tau0() {
    return tau0;
  }

  public double curvatureThreshold() {
    return epsilon;
  }

  public double momentum() {
    return momentum;
  }

  public double weightDecay() {
    return weightDecay;
  }

  public DirectionScaling scaling() {
    return scaling;
  }

  public double klClip() {
    return klClip;
  }

  /** Whether the pairs are stored in float (see {@link #withFloatHistory}). */
  public boolean floatHistory() {
    return floatHistory;
  }

  /** The first step (0-based) that uses the quasi-Newton direction: 2T &minus; 1. */
  public long firstQuasiNewtonStep() {
    return 2L * period - 1;
  }

  @Override
  public String name() {
    return "mlbfgs";
  }

  @Override
  public MlbfgsState init(int block, double[] theta) {
    Checks.checkArgument(theta != null, "theta of block %s must not be null", block);
    return new MlbfgsState(theta, history, floatHistory);
  }

  /** Two: [d<sub>b</sub><sup>T</sup>g&#771;<sub>b</sub>, |d<sub>b</sub>|&sup2;]. */
  @Override
  public int partialCount() {
    return 2;
  }

  @Override
  public double[] partials(long step, OptimizerState state, double[] theta, double[] gradient) {
    MlbfgsState st = checkState(state, theta, gradient);
    Checks.checkArgument(step == st.nextStep && !st.inStep,
        "partials expected step %s, but was: %s%s", st.nextStep, step,
        st.inStep ? " (the update of step " + st.nextStep + " has not been applied)" : "");
    int n = theta.length;
    double[] d = st.direction;
    double[] mTheta = st.averageTheta;
    double[] mGrad = st.averageGradient;
    // One pass: g~ = g + lambda theta into d, and both moving averages.
    if (step == 0) {
      for (int i = 0; i < n; i++) {
        double di = gradient[i] + weightDecay * theta[i];
        d[i] = di;
        mTheta[i] = theta[i];
        mGrad[i] = di;
      }
    } else {
      double w = 1 - beta;
      for (int i = 0; i < n; i++) {
        double di = gradient[i] + weightDecay * theta[i];
        d[i] = di;
        mTheta[i] = beta * mTheta[i] + w * theta[i];
        mGrad[i] = beta * mGrad[i] + w * di;
      }
    }
    if ((step + 1) % period == 0) {
      double[] pairTheta = st.pairTheta;
      double[] pairGradient = st.pairGradient;
      if (st.hasPairPoint) {
        double[] s = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
          s[i] = mTheta[i] - pairTheta[i];
          y[i] = mGrad[i] - pairGradient[i];
          pairTheta[i] = mTheta[i];
          pairGradient[i] = mGrad[i];
        }
        offerPair(st, s, y);
      } else {
        System.arraycopy(mTheta, 0, pairTheta, 0, n);
        System.arraycopy(mGrad, 0, pairGradient, 0, n);
      }
      st.hasPairPoint = true;
    }
    double dd;
    double dg;
    if (step >= firstQuasiNewtonStep() && st.pairCount() > 0) {
      st.applyInverseHessian(d);
      dd = BlockTwoLoop.dot(d, d);
      // d^T g~ = d^T g + lambda d^T theta: g~ itself was overwritten by d.
      dg = BlockTwoLoop.dot(d, gradient);
      if (weightDecay != 0) {
        dg += weightDecay * BlockTwoLoop.dot(d, theta);
      }
    } else {
      dd = BlockTwoLoop.dot(d, d);
      dg = dd; // d = g~
    }
    st.inStep = true;
    return new double[] {dg, dd};
  }

  @Override
  public void update(long step, OptimizerState state, double[] theta, double[] gradient,
      double[] reduced, double learningRate) {
    MlbfgsState st = checkState(state, theta, gradient);
    Checks.checkArgument(step == st.nextStep && st.inStep,
        "update expected step %s after its partials, but was: %s%s", st.nextStep, step,
        st.inStep ? "" : " (partials of that step not computed)");
    Checks.checkArgument(reduced != null && reduced.length == 2,
        "reduced must hold 2 values, but had: %s", reduced == null ? null : reduced.length);
    Checks.checkArgument(learningRate >= 0 && Double.isFinite(learningRate),
        "learning rate must be finite and >= 0, but was: %s", learningRate);
    double c = scale(step, reduced);
    double[] d = st.direction;
    double[] v = st.velocity;
    for (int i = 0; i < v.length; i++) {
      v[i] = momentum * v[i] + c * d[i];
      theta[i] -= learningRate * v[i];
    }
    st.inStep = false;
    st.nextStep++;
  }

  /** The factor c of step {@code step} from the reduced partials (see the class comment). */
  public double scale(long step, double[] reduced) {
    Checks.checkArgument(reduced != null && reduced.length == 2,
        "reduced must hold 2 values, but had: %s", reduced == null ? null : reduced.length);
    if (step < firstQuasiNewtonStep()) {
      return 1;
    }
    if (scaling == DirectionScaling.KL_CLIP) {
      double dg = reduced[0];
      return dg > 0 ? Math.min(1, Math.sqrt(klClip / dg)) : 1;
    }
    double dd = reduced[1];
    return dd > 0 ? 1 / Math.sqrt(dd) : 1;
  }

  /**
   * The damping weight &tau; for &mu; = s<sup>T</sup>y / s<sup>T</sup>s (see the class comment); it
   * puts s<sup>T</sup>&ycirc; / s<sup>T</sup>s = 1 &minus; &tau;(1 &minus; &mu;) in [&sigma;<sub>L</sub>,
   * &sigma;<sub>H</sub>] (on the violated bound when &tau; is not capped by &tau;<sub>0</sub>).
   */
  public double dampingTau(double mu) {
    if (mu <= sigmaLow) {
      return Math.min((1 - sigmaLow) / (1 - mu), tau0);
    }
    if (mu >= sigmaHigh) {
      return Math.min((sigmaHigh - 1) / (mu - 1), tau0);
    }
    return tau0;
  }

  /**
   * &ycirc; = &tau;y + (1&minus;&tau;)s with &tau; = {@link #dampingTau}(s<sup>T</sup>y / s<sup>T</sup>s);
   * a new array. For s = 0 (&mu; undefined) it is y.
   */
  public double[] dampedY(double[] s, double[] y) {
    Checks.checkArgument(s.length == y.length, "s and y must have the same length, but had %s and %s",
        s.length, y.length);
    double ss = BlockTwoLoop.dot(s, s);
    double tau = ss > 0 ? dampingTau(BlockTwoLoop.dot(s, y) / ss) : 1;
    double[] yHat = new double[y.length];
    for (int i = 0; i < y.length; i++) {
      yHat[i] = tau * y[i] + (1 - tau) * s[i];
    }
    return yHat;
  }

  /**
   * Damps the raw pair (s, y) of a block and stores (s, &ycirc;) in {@code state}, or counts a skip when
   * s<sup>T</sup>&ycirc; &le; &epsilon; or is not finite (with a float history: s<sup>T</sup>&ycirc; of
   * the vectors rounded to float, as they would be stored). Returns whether it was stored.
   */
  boolean offerPair(MlbfgsState state, double[] s, double[] y) {
    double ss = BlockTwoLoop.dot(s, s);
    double mu = BlockTwoLoop.dot(s, y) / ss;
    double tau = ss > 0 ? dampingTau(mu) : Double.NaN;
    state.recordDamping(mu, tau);
    if (!(ss > 0)) {
      state.countSkip();
      return false;
    }
    double[] yHat = new double[y.length];
    for (int i = 0; i < y.length; i++) {
      yHat[i] = tau * y[i] + (1 - tau) * s[i];
    }
    double sy = state.storedCurvature(s, yHat);
    if (!(sy > epsilon) || !Double.isFinite(sy)) {
      state.countSkip();
      return false;
    }
    state.storePair(s, yHat, sy);
    return true;
  }

  private static MlbfgsState checkState(OptimizerState state, double[] theta, double[] gradient) {
    Checks.checkArgument(state instanceof MlbfgsState, "MomentumLbfgs needs an MlbfgsState, but was: %s",
        state == null ? null : state.getClass().getName());
    MlbfgsState st = (MlbfgsState) state;
    Checks.checkArgument(theta.length == st.dimension() && gradient.length == st.dimension(),
        "theta, gradient and state must have the same length, but were: %s, %s, %s", theta.length,
        gradient.length, st.dimension());
    return st;
  }

  @Override
  public String toString() {
    return "MomentumLbfgs{beta=" + beta + ", T=" + period + ", M=" + history + ", sigmaL=" + sigmaLow
        + ", sigmaH=" + sigmaHigh + ", tau0=" + tau0 + ", epsilon=" + epsilon + ", momentum="
        + momentum + ", weightDecay=" + weightDecay + ", scaling=" + scaling + ", kappa=" + klClip
        + ", floatHistory=" + floatHistory + "}";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MomentumLbfgs m && beta == m.beta && period == m.period
        && history == m.history && sigmaLow == m.sigmaLow && sigmaHigh == m.sigmaHigh
        && tau0 == m.tau0 && epsilon == m.epsilon && momentum == m.momentum
        && weightDecay == m.weightDecay && scaling == m.scaling && klClip == m.klClip
        && floatHistory == m.floatHistory;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(beta, period, history, sigmaLow, sigmaHigh, tau0, epsilon, momentum,
        weightDecay, scaling, klClip, floatHistory);
  }
}
