package org.lbfgsbeam.core.stochastic;

import org.lbfgsbeam.core.Checks;

/**
 * Stochastic gradient descent with (heavy-ball or Nesterov) momentum and L2 weight decay, in the exact
 * form of {@code torch.optim.SGD} with {@code dampening = 0}. Per parameter i of a block, at each step,
 * with learning rate &eta;, momentum &mu;, weight decay &lambda; and velocity v (zero before the first
 * step, kept in {@link SgdState}):
 *
 * <pre>
 *   d = g + &lambda; &theta;                      (coupled weight decay: the gradient of &frac12;&lambda;|&theta;|&sup2; is added)
 *   v = &mu; v + d
 *   &theta; -= &eta; v                          (heavy ball, the default)
 *   &theta; -= &eta; (d + &mu; v)                 (Nesterov)
 * </pre>
 *
 * On the first step v = d, which is torch's {@code buf = clone(d_p)}. The Nesterov line is torch's
 * rewriting of Sutskever et al. (2013, eq. 3&ndash;4) in terms of the current parameters rather than
 * the look-ahead point. Weight decay is the coupled (L2) form, torch.optim.SGD's {@code weight_decay}:
 * it passes through the velocity. Without momentum the coupled and the decoupled form coincide up to
 * the rescaling &lambda;' = &lambda;/&eta; (Loshchilov &amp; Hutter 2019, Proposition 1); with momentum,
 * and for Adam, they differ (see {@link Adam}).
 *
 * <table>
 *   <caption>Hyperparameters and defaults</caption>
 *   <tr><th>name</th><th>default</th><th>source</th></tr>
 *   <tr><td>momentum &mu;</td><td>0.9</td><td>Sutskever et al. 2013 (&mu;<sub>max</sub> = 0.9 is one of
 *       their settings) and the ImageNet runs of Goyal et al. 2017; torch.optim.SGD's own default is 0</td></tr>
 *   <tr><td>nesterov</td><td>false</td><td>torch.optim.SGD</td></tr>
 *   <tr><td>weight decay &lambda;</td><td>0</td><td>torch.optim.SGD</td></tr>
 * </table>
 *
 * The learning rate is not a hyperparameter of this object: it comes with every
 * {@link #update} call, usually from a {@link LearningRateSchedule}. Every block's update is local, so
 * {@link #partialCount()} is 0 and all the work, state included, is done in {@link #update}; a runner
 * may skip phase 1. With &mu; = 0 the velocity is still kept (it equals d) and the step is plain SGD,
 * with or without Nesterov.
 *
 * <p>References: I. Sutskever, J. Martens, G. Dahl, G. Hinton, <i>On the importance of initialization
 * and momentum in deep learning</i>, ICML 2013. PyTorch, {@code torch/optim/sgd.py}
 * ({@code _single_tensor_sgd}). I. Loshchilov, F. Hutter, <i>Decoupled Weight Decay
 * Regularization</i>, ICLR 2019. P. Goyal et al., <i>Accurate, Large Minibatch SGD: Training ImageNet in
 * 1 Hour</i>, arXiv:1706.02677, 2017.
 */
public final class Sgd implements StochasticOptimizer {
  private static final long serialVersionUID = 1L;

  private final double momentum;
  private final boolean nesterov;
  private final double weightDecay;

  private Sgd(double momentum, boolean nesterov, double weightDecay) {
    this.momentum = momentum;
    this.nesterov = nesterov;
    this.weightDecay = weightDecay;
  }

  /** &mu; = 0.9, heavy ball, no weight decay (see the class comment). */
  public static Sgd defaults() {
    return new Sgd(0.9, false, 0);
  }

  /** A copy with momentum &mu; in [0, 1). */
  public Sgd withMomentum(double mu) {
    Checks.checkArgument(mu >= 0 && mu < 1, "momentum must be in [0, 1), but was: %s", mu);
    return new Sgd(mu, nesterov, weightDecay);
  }

  /** A copy with Nesterov momentum on or off. */
  public Sgd withNesterov(boolean on) {
    return new Sgd(momentum, on, weightDecay);
  }

  /** A copy with coupled (L2) weight decay &lambda; &ge; 0, added to the gradient as &lambda;&theta;. */
  public Sgd withWeightDecay(double lambda) {
    Checks.checkArgument(lambda >= 0 && Double.isFinite(lambda),
        "weight decay must be finite and >= 0, but was: %s", lambda);
    return new Sgd(momentum, nesterov, lambda);
  }

  public double momentum() {
    return momentum;
  }

  public boolean nesterov() {
    return nesterov;
  }

  public double weightDecay() {
    return weightDecay;
  }

  @Override
  public String name() {
    return "sgd";
  }

  @Override
  public SgdState init(int block, double[] theta) {
    Checks.checkArgument(theta != null, "theta of block %s must not be null", block);
    return new SgdState(theta.length);
  }

  @Override
  public void update(long step, OptimizerState state, double[] theta, double[] gradient,
      double[] reduced, double learningRate) {
    Checks.checkArgument(state instanceof SgdState,
        "Sgd needs an SgdState, but was: %s", state == null ? null : state.getClass().getName());
    double[] v = ((SgdState) state).velocity();
    Checks.checkArgument(step >= 0, "step must be >= 0, but was: %s", step);
    Checks.checkArgument(theta.length == v.length && gradient.length == v.length,
        "theta, gradient and state must have the same length, but were: %s, %s, %s",
        theta.length, gradient.length, v.length);
    Checks.checkArgument(learningRate >= 0 && Double.isFinite(learningRate),
        "learning rate must be finite and >= 0, but was: %s", learningRate);
    for (int i = 0; i < v.length; i++) {
      double d = gradient[i] + weightDecay * theta[i];
      double vi = momentum * v[i] + d;
      v[i] = vi;
      theta[i] -= learningRate * (nesterov ? d + momentum * vi : vi);
    }
  }

  @Override
  public String toString() {
    return "Sgd{momentum=" + momentum + ", nesterov=" + nesterov + ", weightDecay=" + weightDecay
        + "}";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Sgd other && Double.compare(momentum, other.momentum) == 0
        && nesterov == other.nesterov && Double.compare(weightDecay, other.weightDecay) == 0;
  }

  @Override
  public int hashCode() {
    return Double.hashCode(momentum) * 31 * 31 + Boolean.hashCode(nesterov) * 31
        + Double.hashCode(weightDecay);
  }
}
