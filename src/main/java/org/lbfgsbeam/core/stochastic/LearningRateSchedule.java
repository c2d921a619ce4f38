package org.lbfgsbeam.core.stochastic;

import java.io.Serializable;
import org.lbfgsbeam.core.Checks;

/**
 * A learning rate as a plain function of the 0-based step count, in the manner of optax's schedules:
 * {@code at(t)} is the rate of step t, the same {@code step} that {@link StochasticOptimizer#update}
 * receives. Everything a schedule needs (total steps, warm-up length) is fixed when it is built, so the
 * signature is {@code at(long step)} alone; a caller that thinks in epochs converts once, e.g.
 * {@code cosine(lr, epochs * stepsPerEpoch, 0)}.
 *
 * <table>
 *   <caption>The schedules (t = step &ge; 0)</caption>
 *   <tr><th>factory</th><th>&eta;(t)</th><th>source</th></tr>
 *   <tr><td>{@link #constant constant(lr)}</td><td>lr</td><td></td></tr>
 *   <tr><td>{@link #step step(lr, &gamma;, k)}</td><td>lr &middot; &gamma;<sup>&lfloor;t/k&rfloor;</sup></td>
 *       <td>torch.optim.lr_scheduler.StepLR</td></tr>
 *   <tr><td>{@link #cosine cosine(lr, T, lr<sub>min</sub>)}</td>
 *       <td>lr<sub>min</sub> + &frac12;(lr &minus; lr<sub>min</sub>)(1 + cos(&pi; min(t, T)/T))</td>
 *       <td>Loshchilov &amp; Hutter 2017, eq. 5, one cycle, no restarts</td></tr>
 *   <tr><td>{@link #withWarmup withWarmup(s, w)}</td>
 *       <td>s(t) &middot; min(1, (t + 1)/w)</td><td>Goyal et al. 2017, &sect;2.2 gradual warm-up</td></tr>
 * </table>
 *
 * <p>The implementations are immutable records (value equality, a readable {@code toString}) whose
 * canonical constructors validate, so deserialisation validates too. The interface is left open
 * (not sealed) so other modules can add a schedule; an implementation must be immutable, serialisable
 * and return a finite rate &ge; 0 for every step &ge; 0.
 *
 * <p>References: I. Loshchilov, F. Hutter, <i>SGDR: Stochastic Gradient Descent with Warm Restarts</i>,
 * ICLR 2017. P. Goyal et al., <i>Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour</i>,
 * arXiv:1706.02677, 2017.
 */
public interface LearningRateSchedule extends Serializable {

  /** The learning rate of step {@code step} (0-based). */
  double at(long step);

  /** &eta;(t) = lr for every t. */
  static LearningRateSchedule constant(double lr) {
    return new Constant(lr);
  }

  /**
   * &eta;(t) = lr &middot; gamma<sup>&lfloor;t / everySteps&rfloor;</sup>: the rate is multiplied by
   * {@code gamma} after every {@code everySteps} steps (torch's {@code StepLR}, whose usual gamma is
   * 0.1).
   */
  static LearningRateSchedule step(double lr, double gamma, long everySteps) {
    return new Step(lr, gamma, everySteps);
  }

  /**
   * Cosine annealing from {@code lr} at t = 0 to {@code minLr} at t = {@code totalSteps}, then constant
   * {@code minLr}: &eta;(t) = minLr + &frac12;(lr &minus; minLr)(1 + cos(&pi; min(t, T) / T)). This is
   * eq. 5 of Loshchilov &amp; Hutter (2017) with &eta;<sub>max</sub> = lr, &eta;<sub>min</sub> = minLr,
   * T<sub>cur</sub> = t counted in steps and a single cycle T<sub>i</sub> = T (no warm restarts).
   */
  static LearningRateSchedule cosine(double lr, long totalSteps, double minLr) {
    return new Cosine(lr, totalSteps, minLr);
  }

  /**
   * Linear warm-up in front of {@code schedule}: &eta;(t) = s(t) &middot; (t + 1) / w for t &lt; w and
   * s(t) from t = w on, where s is {@code schedule} and w is {@code warmupSteps}. So step 0 runs at
   * s(0)/w, each step adds s/w, step w &minus; 1 reaches the full s(w &minus; 1), and no step runs at
   * rate 0. The wrapped schedule sees the absolute step (it is not shifted by w), as in Goyal et al.
   * (2017, &sect;2.2, &sect;5.1), whose decay epochs count from the start of training, warm-up
   * included. Goyal et al. ramp from the small-batch rate &eta; = &eta;&#770;/k rather than from
   * &eta;&#770;/w; choose w to set the start. {@code warmupSteps} = 0 returns the schedule's values
   * unchanged.
   */
  static LearningRateSchedule withWarmup(LearningRateSchedule schedule, long warmupSteps) {
    return new Warmup(schedule, warmupSteps);
  }

  /** The learning rate must be finite and positive. */
  private static void checkRate(String name, double lr) {
    Checks.checkArgument(lr > 0 && Double.isFinite(lr),
        "%s must be finite and positive, but was: %s", name, lr);
  }

  private static void checkStep(long step) {
    Checks.checkArgument(step >= 0, "step must be >= 0, but was: %s", step);
  }

  /** See {@link LearningRateSchedule#constant}. */
  record Constant(double lr) implements LearningRateSchedule {
    private static final long serialVersionUID = 1L;

    public Constant {
      checkRate("learning rate", lr);
    }

    @Override
    public double at(long step) {
      checkStep(step);
      return lr;
    }
  }

  /** See {@link LearningRateSchedule#step}. */
  record Step(double lr, double gamma, long everySteps) implements LearningRateSchedule {
    private static final long serialVersionUID = 1L;

    public Step {
      checkRate("learning rate", lr);
      Checks.checkArgument(gamma > 0 && gamma <= 1, "gamma must be in (0, 1], but was: %s", gamma);
      Checks.checkArgument(everySteps >= 1, "everySteps must be positive, but was: %s", everySteps);
    }

    @Override
    public double at(long step) {
      checkStep(step);
      return lr * Math.pow(gamma, step / everySteps); // long division: floor(t / k)
    }
  }

  /** See {@link LearningRateSchedule#cosine}. */
  record Cosine(double lr, long totalSteps, double minLr) implements LearningRateSchedule {
    private static final long serialVersionUID = 1L;

    public Cosine {
      checkRate("learning rate", lr);
      Checks.checkArgument(totalSteps >= 1, "totalSteps must be positive, but was: %s", totalSteps);
      Checks.checkArgument(minLr >= 0 && minLr <= lr,
          "minLr must be in [0, lr = %s], but was: %s", lr, minLr);
    }

    @Override
    public double at(long step) {
      checkStep(step);
      if (step >= totalSteps) {
        return minLr; // the single cycle has ended; at t = T the formula below gives minLr as well
      }
      return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * step / totalSteps));
    }
  }

  /** See {@link LearningRateSchedule#withWarmup}. */
  record Warmup(LearningRateSchedule schedule, long warmupSteps) implements LearningRateSchedule {
    private static final long serialVersionUID = 1L;

    public Warmup {
      Checks.checkArgument(schedule != null, "schedule must not be null, but was: %s", schedule);
      Checks.checkArgument(warmupSteps >= 0, "warmupSteps must be >= 0, but was: %s", warmupSteps);
    }

    @Override
    public double at(long step) {
      checkStep(step);
      double rate = schedule.at(step);
      return step < warmupSteps ? rate * (step + 1) / warmupSteps : rate;
    }
  }
}
