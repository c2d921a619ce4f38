package org.lbfgsbeam.core.kfac;

import java.io.Serializable;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.nn.Blas;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;

/**
 * K-FAC for the dense layers of a {@link MultilayerPerceptron}: a block-diagonal approximation of the
 * Fisher, one block per layer, each block a Kronecker product G<sub>l</sub> &otimes; A<sub>l</sub> of
 * two small factors (Martens &amp; Grosse, <i>Optimizing Neural Networks with Kronecker-factored
 * Approximate Curvature</i>, ICML 2015), distributed layer-wise as in Osawa et al., <i>Large-Scale
 * Distributed Second-Order Optimization Using Kronecker-Factored Approximate Curvature for Deep
 * Convolutional Neural Networks</i>, CVPR 2019, and KAISA (Pauloski et al., SC 2021;
 * kfac-pytorch): each layer has an owner that combines its factors, inverts them and preconditions
 * its gradient, and the only global reduction of a step is one scalar for the KL clip.
 *
 * <h2>One step t (0-based)</h2>
 * Per shard s (data-parallel): {@link KfacBatchStatistics#compute} gives the loss, the gradient of
 * the summed loss and, for every layer l, the partials {@link KroneckerFactors}
 * A<sub>l,s</sub> = &Sigma;<sub>i&isin;s</sub> &abar;<sub>i</sub>&abar;<sub>i</sub><sup>T</sup>,
 * G<sub>l,s</sub> = &Sigma;<sub>i&isin;s</sub> g<sub>i</sub>g<sub>i</sub><sup>T</sup> (empirical or true
 * Fisher: {@link #fisher()}); the gradient is summed over the shards and divided by the total row
 * count m (the gradient of the <i>mean</i> loss, the one the Fisher of one example preconditions).
 * Then, per layer l on its owner ({@link LayerAssignment}), phase 1, {@link #partial}, on the layer's
 * augmented parameters W&#773; and gradient &nabla;W&#773; ({@link AugmentedLayout}):
 * <pre>
 *   if t mod T<sub>f</sub> = 0:  F = A<sub>l,1</sub> + A<sub>l,2</sub> + &hellip; in shard order (same for G);  k &larr; k + 1
 *                    M<sub>A</sub> &larr; &beta;M<sub>A</sub> + (1&minus;&beta;) A/m,   M<sub>G</sub> &larr; &beta;M<sub>G</sub> + (1&minus;&beta;) G/m          (M = 0 before the first update)
 *   if t mod T<sub>inv</sub> = 0: &Acirc; = M<sub>A</sub>/(1 &minus; &beta;<sup>k</sup>), &Gcirc; = M<sub>G</sub>/(1 &minus; &beta;<sup>k</sup>)   (bias correction)
 *                    P<sub>l</sub> = {@link KfacInversion#prepare}(&Acirc;, &Gcirc;, &gamma;): symmetrise, then damped Cholesky inverses or eigendecompositions
 *   g&#771; = &nabla;W&#773; + &lambda;W&#773;                                             coupled weight decay
 *   V<sub>l</sub> = P<sub>l</sub>(g&#771;), or g&#771; if P<sub>l</sub> failed or V<sub>l</sub> is not finite (counted: {@link LayerDirection})
 *   return &lang;V<sub>l</sub>, g&#771;&rang;
 * </pre>
 * One global sum S = &Sigma;<sub>l</sub> &lang;V<sub>l</sub>, g&#771;<sub>l</sub>&rang; in layer order, then per
 * layer phase 2, {@link #update}, with learning rate &eta;:
 * <pre>
 *   &nu; = min(1, sqrt(&kappa; / (&eta;<sup>2</sup> |S|)))     KL clip ({@link #klClipScale}); &nu; = 1 if S = 0
 *   v &larr; &mu;v + &nu;V<sub>l</sub>,   W&#773; &larr; W&#773; &minus; &eta;v                      heavy ball, v = 0 before step 0
 * </pre>
 * The KL clip bounds the predicted change of the model's output distribution,
 * &frac12;&eta;<sup>2</sup>&nu;<sup>2</sup> V<sup>T</sup>FV &asymp; &frac12;&eta;<sup>2</sup>&nu;<sup>2</sup>&lang;V, g&#771;&rang; &le; &kappa;/2
 * (Ba, Grosse &amp; Martens, <i>Distributed Second-Order Optimization using Kronecker-Factored
 * Approximations</i>, ICLR 2017, &sect;5; KAISA's {@code _compute_grad_scale}, which also takes |S|).
 * Step 0 is both a factor and an inverse update, so every step has a preconditioner or a counted
 * fallback.
 *
 * <h2>Choices</h2>
 * <ul>
 *   <li><b>Weight decay</b> is coupled and preconditioned (g&#771; = &nabla;W&#773; + &lambda;W&#773; before
 *       P), as {@code MomentumLbfgs} does; KAISA adds it after preconditioning, in the SGD it wraps.
 *       It applies to the biases too, as torch.optim.SGD's {@code weight_decay} does.</li>
 *   <li><b>Bias correction</b> of the averages as kfac-jax's weighted moving average (its mean is
 *       &Sigma;&beta;<sup>j</sup>x / &Sigma;&beta;<sup>j</sup>, the same as dividing by 1 &minus;
 *       &beta;<sup>k</sup>); KAISA instead starts the average at the first factor.</li>
 *   <li><b>Scale.</b> The factors are per-example second moments (A/m, G/m with per-example
 *       g<sub>i</sub>, see {@link KroneckerFactors}), so &gamma; and &kappa; do not change meaning with
 *       the batch size.</li>
 * </ul>
 *
 * <h2>Hyperparameters and defaults</h2>
 * <table>
 *   <caption>Hyperparameters</caption>
 *   <tr><th>name</th><th>default</th><th>source</th></tr>
 *   <tr><td>&beta; (factor decay)</td><td>0.95</td><td>KAISA {@code factor_decay}
 *       (kfac-pytorch {@code kfac/preconditioner.py})</td></tr>
 *   <tr><td>&gamma; (damping)</td><td>0.001</td><td>KAISA {@code damping}</td></tr>
 *   <tr><td>&kappa; (KL clip)</td><td>0.001</td><td>KAISA {@code kl_clip}</td></tr>
 *   <tr><td>T<sub>f</sub> (factor update interval)</td><td>1</td><td>KAISA
 *       {@code factor_update_steps}</td></tr>
 *   <tr><td>T<sub>inv</sub> (inverse update interval)</td><td>1</td><td>KAISA
 *       {@code inv_update_steps}</td></tr>
 *   <tr><td>inversion</td><td>EIGEN</td><td>KAISA {@code compute_method}</td></tr>
 *   <tr><td>Fisher</td><td>EMPIRICAL</td><td>KAISA (G from the training loss's backward pass)</td></tr>
 *   <tr><td>&mu; (heavy ball)</td><td>0.9</td><td>the project's {@code Sgd} default (Sutskever et al.
 *       2013); KAISA leaves momentum to the SGD it wraps</td></tr>
 *   <tr><td>&lambda; (weight decay)</td><td>0</td><td>torch.optim.SGD</td></tr>
 *   <tr><td>preconditioning precision</td><td>double</td><td>the project's; KAISA runs in the
 *       model's float32 ({@link #withSinglePrecision})</td></tr>
 * </table>
 *
 * <p>Immutable: change a hyperparameter with a {@code with...} method, which validates it and returns
 * a copy. All mutable data is in the {@link KfacLayerState} of each layer.
 */
public final class Kfac implements Serializable {
  private static final long serialVersionUID = 1L;

  private final double factorDecay;
  private final double damping;
  private final double klClip;
  private final int factorInterval;
  private final int inverseInterval;
  private final KfacInversion inversion;
  private final FisherType fisher;
  private final double momentum;
  private final double weightDecay;
  private final boolean singlePrecision;

  private Kfac(double factorDecay, double damping, double klClip, int factorInterval,
      int inverseInterval, KfacInversion inversion, FisherType fisher, double momentum,
      double weightDecay, boolean singlePrecision) {
    this.factorDecay = factorDecay;
    this.damping = damping;
    this.klClip = klClip;
    this.factorInterval = factorInterval;
    this.inverseInterval = inverseInterval;
    this.inversion = inversion;
    this.fisher = fisher;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.singlePrecision = singlePrecision;
  }

  /** The defaults of the class comment's table. */
  public static Kfac defaults() {
    return new Kfac(0.95, 1e-3, 1e-3, 1, 1, KfacInversion.EIGEN, FisherType.EMPIRICAL, 0.9, 0,
        false);
  }

  /** A copy with factor decay &beta; in [0, 1); &beta; = 0 uses the current batch's factors alone. */
  public Kfac withFactorDecay(double beta) {
    Checks.checkArgument(beta >= 0 && beta < 1, "factor decay must be in [0, 1), but was: %s", beta);
    return new Kfac(beta, damping, klClip, factorInterval, inverseInterval, inversion, fisher,
        momentum, weightDecay, singlePrecision);
  }

  /** A copy with damping &gamma;, finite and &gt; 0. */
  public Kfac withDamping(double gamma) {
    Checks.checkArgument(gamma > 0 && Double.isFinite(gamma),
        "damping must be finite and > 0, but was: %s", gamma);
    return new Kfac(factorDecay, gamma, klClip, factorInterval, inverseInterval, inversion, fisher,
        momentum, weightDecay, singlePrecision);
  }

  /** A copy with KL clip &kappa; &gt; 0; +&infin; turns the clip off (&nu; = 1). */
  public Kfac withKlClip(double kappa) {
    Checks.checkArgument(kappa > 0, "KL clip must be > 0, but was: %s", kappa);
    return new Kfac(factorDecay, damping, kappa, factorInterval, inverseInterval, inversion, fisher,
        momentum, weightDecay, singlePrecision);
  }

  /** A copy that updates the factor averages every {@code steps} &ge; 1 steps. */
  public Kfac withFactorUpdateInterval(int steps) {
    Checks.checkArgument(steps >= 1, "factor update interval must be >= 1, but was: %s", steps);
    return new Kfac(factorDecay, damping, klClip, steps, inverseInterval, inversion, fisher,
        momentum, weightDecay, singlePrecision);
  }

  /** A copy that recomputes the preconditioners every {@code steps} &ge; 1 steps. */
  public Kfac withInverseUpdateInterval(int steps) {
    Checks.checkArgument(steps >= 1, "inverse update interval must be >= 1, but was: %s", steps);
    return new Kfac(factorDecay, damping, klClip, factorInterval, steps, inversion, fisher,
        momentum, weightDecay, singlePrecision);
  }

  /** A copy with another inversion (Tikhonov-Cholesky or eigen). */
  public Kfac withInversion(KfacInversion method) {
    Checks.checkArgument(method != null, "inversion must not be null, but was: %s", method);
    return new Kfac(factorDecay, damping, klClip, factorInterval, inverseInterval, method, fisher,
        momentum, weightDecay, singlePrecision);
  }

  /** A copy with another Fisher (the statistics the shards compute). */
  public Kfac withFisher(FisherType type) {
    Checks.checkArgument(type != null, "fisher must not be null, but was: %s", type);
    return new Kfac(factorDecay, damping, klClip, factorInterval, inverseInterval, inversion, type,
        momentum, weightDecay, singlePrecision);
  }

  /** A copy with heavy-ball momentum &mu; in [0, 1). */
  public Kfac withMomentum(double mu) {
    Checks.checkArgument(mu >= 0 && mu < 1, "momentum must be in [0, 1), but was: %s", mu);
    return new Kfac(factorDecay, damping, klClip, factorInterval, inverseInterval, inversion, fisher,
        mu, weightDecay, singlePrecision);
  }

  /** A copy with coupled (L2) weight decay &lambda; &ge; 0, added to the gradient as &lambda;W&#773;. */
  public Kfac withWeightDecay(double lambda) {
    Checks.checkArgument(lambda >= 0 && Double.isFinite(lambda),
        "weight decay must be finite and >= 0, but was: %s", lambda);
    return new Kfac(factorDecay, damping, klClip, factorInterval, inverseInterval, inversion, fisher,
        momentum, lambda, singlePrecision);
  }

  /**
   * A copy that keeps the inverses (or eigenbases) in single precision and preconditions with
   * single-precision products (sgemm): about half the time and memory of a step's
   * preconditioning, with V's relative error near float's 6&middot;10<sup>&minus;8</sup> times the
   * condition of the damped factors. The factors, their averages and the inversions stay in double
   * precision.
   */
  public Kfac withSinglePrecision(boolean single) {
    return new Kfac(factorDecay, damping, klClip, factorInterval, inverseInterval, inversion, fisher,
        momentum, weightDecay, single);
  }

  /** Whether the preconditioning runs in single precision ({@link #withSinglePrecision}). */
  public boolean singlePrecision() {
    return singlePrecision;
  }

  public double factorDecay() {
    return factorDecay;
  }

  public double damping() {
    return damping;
  }

  public double klClip() {
    return klClip;
  }

  public int factorUpdateInterval() {
    return factorInterval;
  }

  public int inverseUpdateInterval() {
    return inverseInterval;
  }

  public KfacInversion inversion() {
    return inversion;
  }

  public FisherType fisher() {
    return fisher;
  }

  public double momentum() {
    return momentum;
  }

  public double weightDecay() {
    return weightDecay;
  }

  /** Whether step t updates the factor averages (so the shards must send factor partials). */
  public boolean factorsDue(long step) {
    return step % factorInterval == 0;
  }

  /** Whether step t recomputes the preconditioners. */
  public boolean inverseDue(long step) {
    return step % inverseInterval == 0;
  }

  /** The state of layer l of {@code net}: zero averages and velocity. */
  public KfacLayerState init(MultilayerPerceptron net, int layer) {
    Checks.checkArgument(net != null, "net must not be null");
    return new KfacLayerState(layer, net.inputs(layer), net.outputs(layer));
  }

  /**
   * Phase 1 of step t for one layer (see the class comment): update the averages from
   * {@code factors} when due, the preconditioner when due, and the layer's direction; returns its
   * part &lang;V<sub>l</sub>, g&#771;<sub>l</sub>&rang; of the global sum.
   *
   * @param factors the layer's partials summed over all shards in shard order; required when
   *     {@link #factorsDue}, ignored (may be null) otherwise
   * @param theta the layer's augmented parameters W&#773;, d<sub>out</sub>&times;(d<sub>in</sub>+1)
   * @param gradient the layer's augmented gradient of the mean loss, same shape
   */
  public double partial(long step, KfacLayerState state, KroneckerFactors factors, double[] theta,
      double[] gradient) {
    checkStep(step, state, theta);
    Checks.checkArgument(gradient != null && gradient.length == state.size(),
        "gradient of layer %s must have %s entries, but had: %s", state.layer(), state.size(),
        gradient == null ? "null" : gradient.length);
    if (factorsDue(step)) {
      Checks.checkArgument(factors != null && factors.inputs() == state.inputs()
          && factors.outputs() == state.outputs(),
          "step %s updates the factors, so layer %s (%s -> %s) needs its factors, but had: %s",
          step, state.layer(), state.inputs(), state.outputs(), factors);
      average(state.averageA, factors.meanA());
      average(state.averageG, factors.meanG());
      state.factorUpdates++;
    }
    if (inverseDue(step)) {
      state.preconditioner = null;
      if (state.factorUpdates > 0) {
        double correction = 1 / (1 - Math.pow(factorDecay, state.factorUpdates));
        state.preconditioner = inversion.prepare(scaled(state.averageA, correction),
            state.inputs() + 1, scaled(state.averageG, correction), state.outputs(), damping,
            singlePrecision);
      }
    }
    double[] g = gradient.clone();
    if (weightDecay != 0) {
      Blas.axpy(g.length, weightDecay, theta, 0, g, 0);
    }
    LayerDirection d = LayerDirection.of(state.preconditioner, g);
    state.direction = d.values();
    state.lastFellBack = d.fellBack();
    if (d.fellBack()) {
      state.fallbacks++;
    }
    return Blas.dot(d.values(), g);
  }

  /**
   * Phase 2 of step t for one layer: scale the direction by the KL clip of the global sum, then the
   * heavy-ball update of W&#773; in place.
   *
   * @param reduced S, the layers' {@link #partial}s summed in layer order
   */
  public void update(long step, KfacLayerState state, double[] theta, double reduced,
      double learningRate) {
    checkStep(step, state, theta);
    Checks.checkArgument(state.direction != null,
        "layer %s has no direction: call partial for step %s first", state.layer(), step);
    Checks.checkArgument(learningRate >= 0 && Double.isFinite(learningRate),
        "learning rate must be finite and >= 0, but was: %s", learningRate);
    double nu = klClipScale(reduced, learningRate, klClip);
    double[] v = state.velocity;
    double[] d = state.direction;
    for (int j = 0; j < v.length; j++) {
      v[j] = momentum * v[j] + nu * d[j];
      theta[j] -= learningRate * v[j];
    }
  }

  /**
   * &nu; = min(1, sqrt(&kappa; / (&eta;<sup>2</sup> |S|))): 1 when S is 0 or NaN or &eta; = 0 (no
   * step to clip, KAISA's "no scaling"), 0 when &eta;<sup>2</sup>|S| overflows.
   */
  public static double klClipScale(double sum, double learningRate, double kappa) {
    double denominator = learningRate * learningRate * Math.abs(sum);
    if (!(denominator > 0)) {
      return 1;
    }
    return Math.min(1.0, Math.sqrt(kappa / denominator));
  }

  private void average(double[] m, double[] x) {
    for (int j = 0; j < m.length; j++) {
      m[j] = factorDecay * m[j] + (1 - factorDecay) * x[j];
    }
  }

  private static double[] scaled(double[] x, double c) {
    double[] y = new double[x.length];
    for (int j = 0; j < x.length; j++) {
      y[j] = c * x[j];
    }
    return y;
  }

  private static void checkStep(long step, KfacLayerState state, double[] theta) {
    Checks.checkArgument(step >= 0, "step must be >= 0, but was: %s", step);
    Checks.checkArgument(state != null, "state must not be null");
    Checks.checkArgument(theta != null && theta.length == state.size(),
        "theta of layer %s must have %s entries, but had: %s", state.layer(), state.size(),
        theta == null ? "null" : theta.length);
  }

  @Override
  public String toString() {
    return "Kfac{factorDecay=" + factorDecay + ", damping=" + damping + ", klClip=" + klClip
        + ", factorUpdateInterval=" + factorInterval + ", inverseUpdateInterval=" + inverseInterval
        + ", inversion=" + inversion + ", fisher=" + fisher + ", momentum=" + momentum
        + ", weightDecay=" + weightDecay + (singlePrecision ? ", single precision" : "") + "}";
  }
}
