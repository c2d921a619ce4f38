package org.lbfgsbeam.transforms;

import java.io.Serializable;
import org.lbfgsbeam.core.Checks;

/**
 * What a worker needs to build the objective of a run: the model, &lambda;, the number of parameter
 * blocks, and where the prepared training data ({@code DatasetFile} format) is, on any Beam
 * FileSystem. Small and serialisable: DoFns carry this, never the data; each worker JVM loads the data
 * once ({@link ObjectiveCache}) and keeps it across supersteps, the loop-invariant input of the paper.
 *
 * @param model the objective
 * @param lambda the L2 regularisation &lambda;
 * @param blocks the number of parameter blocks P
 * @param dataPath the prepared data file
 * @param network the network of an {@link Model#MLP} run, else null
 * @param batchSum the user's objective and staged batches of a {@link Model#BATCHES} run, else null
 */
public record ObjectiveSpec(Model model, double lambda, int blocks, String dataPath,
    NetworkSpec network, BatchSumSpec batchSum) implements Serializable {

  /** The models a run can train. */
  public enum Model {
    /** Softmax regression, blocks of classes ({@code SoftmaxObjective}). */
    SOFTMAX,
    /** Binary logistic regression, blocks of features ({@code LinearModelObjective}). */
    LOGISTIC,
    /** Least squares on the labels' values, blocks of features ({@code LinearModelObjective}). */
    LEAST_SQUARES,
    /**
     * A multilayer perceptron ({@code MlpObjective}): mean loss over the examples +
     * (&lambda;/2)&Sigma;W<sup>2</sup> over the weights (not the biases), a data-parallel
     * {@code BatchSumObjective} with &theta; in {@code blocks} blocks.
     */
    MLP,
    /**
     * A user's own data-parallel objective ({@code BatchSum} of a {@code BatchObjective}) over
     * staged batches ({@link BatchSumSpec}); {@code lambda} and {@code dataPath} are not used (the
     * regulariser is the sum's, the data the staged batches).
     */
    BATCHES
  }

  /** A network's spec. */
  public ObjectiveSpec(Model model, double lambda, int blocks, String dataPath,
      NetworkSpec network) {
    this(model, lambda, blocks, dataPath, network, null);
  }

  /** The spec of a user's batch objective over staged batches, with &theta; in {@code blocks}. */
  public static ObjectiveSpec ofBatches(BatchSumSpec batchSum, int blocks) {
    Checks.checkArgument(batchSum != null, "batchSum must not be null");
    return new ObjectiveSpec(Model.BATCHES, 0, blocks, batchSum.batches().directory(), null,
        batchSum);
  }

  /** A linear model's spec (no network). */
  public ObjectiveSpec(Model model, double lambda, int blocks, String dataPath) {
    this(model, lambda, blocks, dataPath, null, null);
  }

  public ObjectiveSpec {
    Checks.checkArgument(model != null, "model must not be null");
    Checks.checkArgument(lambda >= 0 && Double.isFinite(lambda),
        "lambda must be finite and >= 0, but was: %s", lambda);
    Checks.checkArgument(blocks >= 1, "partitions must be positive, but was: %s", blocks);
    Checks.checkArgument(dataPath != null && !dataPath.isEmpty(), "data path must be set");
    Checks.checkArgument((model == Model.MLP) == (network != null),
        "a network is given exactly for model MLP, but model was %s and network %s", model, network);
    Checks.checkArgument((model == Model.BATCHES) == (batchSum != null),
        "a batch sum is given exactly for model BATCHES, but model was %s", model);
  }

  /**
   * Whether the objective is data-parallel (a batch sum: {@link Model#MLP}): its value and gradient at
   * &theta; are the shards' partial sums, evaluated where the shards are, with &theta; broadcast.
   */
  public boolean dataParallel() {
    return network != null || batchSum != null;
  }

  /** The number of shards of a data-parallel objective. */
  public int shards() {
    Checks.checkState(dataParallel(), "%s is not data-parallel", model);
    return network != null ? network.shards() : batchSum.batches().shards();
  }

  /**
   * The {@code linearMargins()} of the objective this spec builds, known without loading the data (a
   * superstep's graph depends on it): true for every model, whose margins are X times the weights.
   */
  public boolean linearMargins() {
    return switch (model) {
      case SOFTMAX, LOGISTIC, LEAST_SQUARES -> true;
      case MLP, BATCHES -> false;
    };
  }
}
