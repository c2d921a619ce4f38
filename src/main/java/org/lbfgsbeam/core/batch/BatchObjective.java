package org.lbfgsbeam.core.batch;

import java.io.Serializable;

/**
 * The one thing a user writes to train their own model: the value and gradient of the <b>summed</b>
 * loss over one batch of examples at the parameters &theta;, for any model and any batch type
 * {@code B}. This is the per-batch function of Ray's "Batch L-BFGS" example
 * ({@code full_loss(theta) = sum(loss(theta, batch) for batch in batches)}): the full objective is
 *
 * <pre>
 *   f(&theta;) = scale &middot; &Sigma;<sub>batches i, in batch order</sub> loss(&theta;, batch<sub>i</sub>) + R(&theta;)
 * </pre>
 *
 * with {@code scale} and the {@link Regularizer} R set once on the {@link BatchSum} (so R is added once,
 * never once per batch). The same implementation serves the serial call ({@code Lbfgs.minimize} on a
 * list of batches), the thread pool of the {@code local} runner, Beam workers and Flink operators: it
 * is serialised to the workers with the job, and each worker evaluates the batches it holds.
 *
 * <p>Implementations must be deterministic (the same bits for the same batch and &theta;) and safe to
 * call from several threads at once for different batches; they must not modify {@code theta} or the
 * batch.
 *
 * @param <B> the batch type
 */
@FunctionalInterface
public interface BatchObjective<B> extends Serializable {

  /**
   * Returns the summed loss over {@code batch} at {@code theta} and adds its gradient into
   * {@code gradient}, which arrives filled with zeros and has the length of {@code theta}.
   */
  double valueAndGradient(B batch, double[] theta, double[] gradient);
}
