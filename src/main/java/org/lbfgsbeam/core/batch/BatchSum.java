package org.lbfgsbeam.core.batch;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lbfgsbeam.core.Checks;

/**
 * The full objective of a data-parallel run, assembled from the user's {@link BatchObjective}:
 *
 * <pre>
 *   f(&theta;) = scale &middot; &Sigma;<sub>s = 0..S&minus;1</sub> &Sigma;<sub>i &isin; shard s, in batch order</sub> loss(&theta;, batch<sub>i</sub>) + R(&theta;)
 * </pre>
 *
 * and its gradient the same way. The batches, in a fixed order, are cut into S contiguous shards
 * ({@link #shards}); a worker that holds shard s computes its {@link #shardPartial} [f<sub>s</sub>,
 * g<sub>s</sub>] (losses and gradients added in batch order), and {@link #sum} adds the partials in
 * shard order, scales, and adds R once. Every runner uses these two kernels and nothing else, so for the
 * same batches and shard count the bits are the same wherever the shards run and whatever order their
 * partials arrive in.
 *
 * <p>Immutable; change it with the {@code with...} methods.
 *
 * @param <B> the batch type
 */
public final class BatchSum<B> implements Serializable {
  private static final long serialVersionUID = 1L;

  private final BatchObjective<B> objective;
  private final int dimension;
  private final Regularizer regularizer;
  private final double scale;

  private BatchSum(BatchObjective<B> objective, int dimension, Regularizer regularizer,
      double scale) {
    this.objective = objective;
    this.dimension = dimension;
    this.regularizer = regularizer;
    this.scale = scale;
  }

  /** The plain sum of {@code objective} over the batches, for &theta; of {@code dimension} entries. */
  public static <B> BatchSum<B> of(BatchObjective<B> objective, int dimension) {
    Checks.checkArgument(objective != null, "objective must not be null");
    Checks.checkArgument(dimension >= 1, "dimension must be positive, but was: %s", dimension);
    return new BatchSum<>(objective, dimension, Regularizer.none(), 1.0);
  }

  /** The same sum with R added once. */
  public BatchSum<B> withRegularizer(Regularizer r) {
    Checks.checkArgument(r != null, "regularizer must not be null (use Regularizer.none())");
    return new BatchSum<>(objective, dimension, r, scale);
  }

  /** The same sum multiplied by {@code s} before R is added (1/N for a mean loss over N examples). */
  public BatchSum<B> withScale(double s) {
    Checks.checkArgument(s > 0 && Double.isFinite(s), "scale must be finite and positive, but was: %s",
        s);
    return new BatchSum<>(objective, dimension, regularizer, s);
  }

  public BatchObjective<B> objective() {
    return objective;
  }

  /** The number of parameters n. */
  public int dimension() {
    return dimension;
  }

  public Regularizer regularizer() {
    return regularizer;
  }

  public double scale() {
    return scale;
  }

  /**
   * The partial [f<sub>s</sub>, g<sub>s,0</sub>, &hellip;, g<sub>s,n&minus;1</sub>] of one shard:
   * its batches' losses and gradients added in the order given, each batch's gradient formed in a
   * zeroed buffer first (so a batch's bits do not depend on its neighbours).
   */
  public double[] shardPartial(Iterable<B> batches, double[] theta) {
    checkTheta(theta);
    double[] partial = new double[dimension + 1];
    double[] g = new double[dimension];
    double f = 0;
    for (B batch : batches) {
      Arrays.fill(g, 0.0);
      f += objective.valueAndGradient(batch, theta, g);
      for (int j = 0; j < dimension; j++) {
        partial[j + 1] += g[j];
      }
    }
    partial[0] = f;
    return partial;
  }

  /**
   * f(&theta;), with &nabla;f(&theta;) written into {@code gradient}, from the shards' partials given
   * in shard order: f = scale&middot;(f<sub>0</sub> + f<sub>1</sub> + &hellip;) + R(&theta;), and the
   * gradient the same way.
   */
  public double sum(double[][] partials, double[] theta, double[] gradient) {
    checkTheta(theta);
    Checks.checkArgument(partials.length >= 1, "at least one shard partial is needed");
    Checks.checkArgument(gradient.length == dimension, "gradient has %s entries, expected %s",
        gradient.length, dimension);
    Arrays.fill(gradient, 0.0);
    double f = 0;
    for (double[] p : partials) {
      Checks.checkArgument(p.length == dimension + 1, "a shard partial has %s entries, expected %s",
          p.length, dimension + 1);
      f += p[0];
      for (int j = 0; j < dimension; j++) {
        gradient[j] += p[j + 1];
      }
    }
    f *= scale;
    for (int j = 0; j < dimension; j++) {
      gradient[j] *= scale;
    }
    return f + regularizer.addValueAndGradient(theta, gradient);
  }

  /** f(&theta;) and its gradient over all {@code shards}, one after another (the serial form). */
  public double evaluate(List<? extends List<B>> shards, double[] theta, double[] gradient) {
    double[][] partials = new double[shards.size()][];
    for (int s = 0; s < partials.length; s++) {
      partials[s] = shardPartial(shards.get(s), theta);
    }
    return sum(partials, theta, gradient);
  }

  /**
   * The batches cut into {@code count} contiguous shards in their order: shard s holds batches
   * [&lfloor;sB/S&rfloor;, &lfloor;(s+1)B/S&rfloor;), so sizes differ by at most one and none is
   * empty.
   */
  public static <B> List<List<B>> shards(List<B> batches, int count) {
    Checks.checkArgument(batches != null && !batches.isEmpty(), "there must be at least one batch");
    Checks.checkArgument(count >= 1 && count <= batches.size(),
        "shards must be in [1, %s] (the number of batches), but was: %s", batches.size(), count);
    List<List<B>> out = new ArrayList<>(count);
    for (int s = 0; s < count; s++) {
      int from = (int) ((long) s * batches.size() / count);
      int to = (int) ((long) (s + 1) * batches.size() / count);
      out.add(List.copyOf(batches.subList(from, to)));
    }
    return out;
  }

  /** The shard that batch {@code index} of {@code batchCount} falls in, as {@link #shards} cuts. */
  public static int shardOf(long index, long batchCount, int count) {
    Checks.checkArgument(index >= 0 && index < batchCount, "batch index %s is outside [0, %s)",
        index, batchCount);
    // Largest s with floor(s*B/S) <= index.
    int s = (int) (((index + 1) * count - 1) / batchCount);
    while (s > 0 && (s * batchCount) / count > index) {
      s--;
    }
    while (s + 1 < count && ((s + 1) * batchCount) / count <= index) {
      s++;
    }
    return s;
  }

  private void checkTheta(double[] theta) {
    Checks.checkArgument(theta != null && theta.length == dimension,
        "theta has %s entries, expected %s", theta == null ? -1 : theta.length, dimension);
  }
}
