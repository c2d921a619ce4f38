package org.lbfgsbeam.transforms;

import java.io.Serializable;
import java.util.List;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.Loss;

/**
 * The network of an {@link ObjectiveSpec.Model#MLP} run, everything but the data's shape (the input
 * size is the data's feature count, the output size its class count): hidden layer sizes, their
 * activation, the loss, how the examples are cut into batches, how the batches are grouped into
 * shards, and the seed of the initialisation. Value-equal (lists, not arrays), so that a worker that
 * deserialises it finds the objective it already built.
 *
 * @param hidden hidden layer sizes, input side first (may be empty: a linear softmax model)
 * @param activation the hidden layers' activation
 * @param loss the loss on the output layer
 * @param batchSize examples per batch (the last batch may be smaller)
 * @param shards S, groups of consecutive batches whose partial sums are added in shard order
 * @param seed the initialisation's seed (He or Glorot, {@code MultilayerPerceptron#initialParameters})
 */
public record NetworkSpec(List<Integer> hidden, Activation activation, Loss loss, int batchSize,
    int shards, long seed) implements Serializable {

  public NetworkSpec {
    Checks.checkArgument(hidden != null, "hidden sizes must not be null");
    hidden = List.copyOf(hidden);
    for (int h : hidden) {
      Checks.checkArgument(h >= 1, "hidden layer sizes must be positive, but were: %s", hidden);
    }
    Checks.checkArgument(activation != null, "activation must not be null");
    Checks.checkArgument(loss != null, "loss must not be null");
    Checks.checkArgument(batchSize >= 1, "batch size must be positive, but was: %s", batchSize);
    Checks.checkArgument(shards >= 1, "shards must be positive, but was: %s", shards);
  }

  /** The layer sizes d<sub>0</sub> = {@code inputs}, the hidden sizes, K = {@code outputs}. */
  public int[] layerSizes(int inputs, int outputs) {
    int[] sizes = new int[hidden.size() + 2];
    sizes[0] = inputs;
    for (int l = 0; l < hidden.size(); l++) {
      sizes[l + 1] = hidden.get(l);
    }
    sizes[sizes.length - 1] = outputs;
    return sizes;
  }
}
