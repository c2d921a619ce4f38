package org.lbfgsbeam.core.stochastic;

import org.lbfgsbeam.core.Checks;

/**
 * Adam (Kingma &amp; Ba 2015, Algorithm 1) with either coupled L2 weight decay ({@code torch.optim.Adam}'s
 * {@code weight_decay}) or decoupled weight decay (AdamW, Loshchilov &amp; Hutter 2019, Algorithm 2, in
 * the form of {@code torch.optim.AdamW}). Per parameter i of a block, at 0-based step t, with learning
 * rate &eta;, moments m and v (zero before the first step, kept in {@link AdamState}):
 *
 * <pre>
 *   g' = g + &lambda; &theta;                     (coupled, {@link #withWeightDecay}; otherwise g' = g)
 *   m  = &beta;1 m + (1 &minus; &beta;1) g'
 *   v  = &beta;2 v + (1 &minus; &beta;2) g'&sup2;
 *   m&#770;  = m / (1 &minus; &beta;1^(t+1))           (bias correction; the paper's t is our t + 1)
 *   v&#770;  = v / (1 &minus; &beta;2^(t+1))
 *   &theta; -= &eta; m&#770; / (&radic;v&#770; + &epsilon;)
 *   &theta; -= &eta; &lambda; &theta;                    (decoupled, {@link #withDecoupledWeightDecay})
 * </pre>
 *
 * (both &theta; lines use the &theta; of before the step, i.e. &theta; -= &eta;(m&#770;/(&radic;v&#770; + &epsilon;) + &lambda;&theta;)).
 *
 * At t = 0 the bias correction makes m&#770; = g' and v&#770; = g'&sup2;, so the first step is
 * &eta; g'/(|g'| + &epsilon;): a step of length about &eta; in the direction of &minus;sign(g') per
 * coordinate.
 *
 * <p>The two weight-decay forms are exclusive; the last {@code with...WeightDecay} call wins. The coupled
 * form feeds &lambda;&theta; through the moments, so it is rescaled by 1/&radic;v&#770; like the gradient
 * and weights with large gradients are decayed less; the decoupled form multiplies every weight by the same
 * factor 1 &minus; &eta;&lambda; (Loshchilov &amp; Hutter 2019, &sect;2). As in torch.optim.AdamW, the decoupled
 * &lambda; is multiplied by the full learning rate &eta;; the paper multiplies it by the schedule
 * multiplier &eta;<sub>t</sub> only, so its &lambda; equals ours times the base rate &alpha;. The update
 * is written as in the paper; torch folds the bias corrections into the step size
 * (&eta;/(1 &minus; &beta;1<sup>t+1</sup>) m/(&radic;v/&radic;(1 &minus; &beta;2<sup>t+1</sup>) + &epsilon;)),
 * which is the same number up to rounding.
 *
 * <table>
 *   <caption>Hyperparameters and defaults</caption>
 *   <tr><th>name</th><th>default</th><th>source</th></tr>
 *   <tr><td>&beta;1, &beta;2</td><td>0.9, 0.999</td><td>Kingma &amp; Ba 2015, Algorithm 1 ("good default
 *       settings")</td></tr>
 *   <tr><td>&epsilon;</td><td>1e-8</td><td>Kingma &amp; Ba 2015, Algorithm 1</td></tr>
 *   <tr><td>weight decay &lambda;</td><td>0 (coupled)</td><td>torch.optim.Adam (torch.optim.AdamW's
 *       default is 1e-2)</td></tr>
 * </table>
 *
 * The learning rate comes with every {@link #update} call (Kingma &amp; Ba's default &alpha; is 1e-3).
 * Every block's update is local: {@link #partialCount()} is 0, all the work is done in {@link #update},
 * and a runner may skip phase 1. The step counter is the {@code step} argument, not part of the state,
 * so the caller must pass consecutive steps starting at 0 for the bias correction to be right.
 *
 * <p>References: D. P. Kingma, J. Ba, <i>Adam: A Method for Stochastic Optimization</i>, ICLR 2015.
 * I. Loshchilov, F. Hutter, <i>Decoupled Weight Decay Regularization</i>, ICLR 2019. PyTorch,
 * {@code torch/optim/adam.py}, {@code torch/optim/adamw.py}.
 */
public final class Adam implements StochasticOptimizer {
  private static final long serialVersionUID = 1L;

  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private final double weightDecay;
  private final boolean decoupled;

  private Adam(double beta1, double beta2, double epsilon, double weightDecay, boolean decoupled) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
    this.decoupled = decoupled;
  }

  /** &beta;1 = 0.9, &beta;2 = 0.999, &epsilon; = 1e-8, no weight decay (see the class comment). */
  public static Adam defaults() {
    return new Adam(0.9, 0.999, 1e-8, 0, false);
  }

  /** A copy with first-moment decay &beta;1 in [0, 1). */
  public Adam withBeta1(double b1) {
    Checks.checkArgument(b1 >= 0 && b1 < 1, "beta1 must be in [0, 1), but was: %s", b1);
    return new Adam(b1, beta2, epsilon, weightDecay, decoupled);
  }

  /** A copy with second-moment decay &beta;2 in [0, 1). */
  public Adam withBeta2(double b2) {
    Checks.checkArgument(b2 >= 0 && b2 < 1, "beta2 must be in [0, 1), but was: %s", b2);
    return new Adam(beta1, b2, epsilon, weightDecay, decoupled);
  }

  /** A copy with &epsilon; &gt; 0, added to &radic;v&#770; in the denominator. */
  public Adam withEpsilon(double eps) {
    Checks.checkArgument(eps > 0 && Double.isFinite(eps),
        "epsilon must be finite and positive, but was: %s", eps);
    return new Adam(beta1, beta2, eps, weightDecay, decoupled);
  }

  /**
   * A copy with coupled (L2) weight decay: &lambda;&theta; is added to the gradient before the moments,
   * as torch.optim.Adam's {@code weight_decay}. Replaces any decoupled weight decay.
   */
  public Adam withWeightDecay(double lambda) {
    checkWeightDecay(lambda);
    return new Adam(beta1, beta2, epsilon, lambda, false);
  }

  /**
   * A copy with decoupled weight decay (AdamW): &theta; -= &eta;&lambda;&theta; besides the Adam step, as
   * torch.optim.AdamW's {@code weight_decay}. Replaces any coupled weight decay.
   */
  public Adam withDecoupledWeightDecay(double lambda) {
    checkWeightDecay(lambda);
    return new Adam(beta1, beta2, epsilon, lambda, true);
  }

  private static void checkWeightDecay(double lambda) {
    Checks.checkArgument(lambda >= 0 && Double.isFinite(lambda),
        "weight decay must be finite and >= 0, but was: %s", lambda);
  }

  public double beta1() {
    return beta1;
  }

  public double beta2() {
    return beta2;
  }

  public double epsilon() {
    return epsilon;
  }

  /** &lambda;, coupled or decoupled as {@link #decoupledWeightDecay()} says. */
  public double weightDecay() {
    return weightDecay;
  }

  /** Whether {@link #weightDecay()} is decoupled (AdamW) rather than coupled (L2). */
  public boolean decoupledWeightDecay() {
    return decoupled;
  }

  /** "adamw" when the weight decay is decoupled, "adam" otherwise. */
  @Override
  public String name() {
    return decoupled ? "adamw" : "adam";
  }

  @Override
  public AdamState init(int block, double[] theta) {
    Checks.checkArgument(theta != null, "theta of block %s must not be null", block);
    return new AdamState(theta.length);
  }

  @Override
  public void update(long step, OptimizerState state, double[] theta, double[] gradient,
      double[] reduced, double learningRate) {
    Checks.checkArgument(state instanceof AdamState,
        "Adam needs an AdamState, but was: %s", state == null ? null : state.getClass().getName());
    AdamState adam = (AdamState) state;
    double[] m = adam.firstMoment();
    double[] v = adam.secondMoment();
    Checks.checkArgument(step >= 0, "step must be >= 0, but was: %s", step);
    Checks.checkArgument(theta.length == m.length && gradient.length == m.length,
        "theta, gradient and state must have the same length, but were: %s, %s, %s",
        theta.length, gradient.length, m.length);
    Checks.checkArgument(learningRate >= 0 && Double.isFinite(learningRate),
        "learning rate must be finite and >= 0, but was: %s", learningRate);
    double coupledDecay = decoupled ? 0 : weightDecay;
    double decoupledDecay = decoupled ? weightDecay : 0;
    double oneMinusBeta1 = 1 - beta1;
    double oneMinusBeta2 = 1 - beta2;
    double biasCorrection1 = 1 - Math.pow(beta1, step + 1);
    double biasCorrection2 = 1 - Math.pow(beta2, step + 1);
    for (int i = 0; i < m.length; i++) {
      double g = gradient[i] + coupledDecay * theta[i];
      m[i] = beta1 * m[i] + oneMinusBeta1 * g;
      v[i] = beta2 * v[i] + oneMinusBeta2 * g * g;
      double mHat = m[i] / biasCorrection1;
      double vHat = v[i] / biasCorrection2;
      theta[i] -= learningRate * (mHat / (Math.sqrt(vHat) + epsilon) + decoupledDecay * theta[i]);
    }
  }

  @Override
  public String toString() {
    return "Adam{beta1=" + beta1 + ", beta2=" + beta2 + ", epsilon=" + epsilon + ", weightDecay="
        + weightDecay + (decoupled ? " (decoupled)" : " (coupled)") + "}";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Adam other && Double.compare(beta1, other.beta1) == 0
        && Double.compare(beta2, other.beta2) == 0 && Double.compare(epsilon, other.epsilon) == 0
        && Double.compare(weightDecay, other.weightDecay) == 0 && decoupled == other.decoupled;
  }

  @Override
  public int hashCode() {
    int h = Double.hashCode(beta1);
    h = 31 * h + Double.hashCode(beta2);
    h = 31 * h + Double.hashCode(epsilon);
    h = 31 * h + Double.hashCode(weightDecay);
    return 31 * h + Boolean.hashCode(decoupled);
  }
}
