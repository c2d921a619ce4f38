package org.lbfgsbeam.core.stochastic;

import java.io.Serializable;
import java.util.SplittableRandom;
import org.lbfgsbeam.core.Checks;

/**
 * The examples of every epoch in a deterministic order from a seed: epoch e visits a permutation of
 * 0..N&minus;1 (Fisher-Yates driven by {@link SplittableRandom} seeded with the seed and the epoch),
 * cut into steps of {@code batchSize} examples (the last step of an epoch takes the rest). The same
 * seed gives the same mini-batches on every runner and machine; no example repeats within an epoch.
 */
public final class MiniBatchOrder implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final int examples;
  private final int batchSize;
  private final long seed;

  private MiniBatchOrder(int examples, int batchSize, long seed) {
    this.examples = examples;
    this.batchSize = batchSize;
    this.seed = seed;
  }

  public static MiniBatchOrder of(int examples, int batchSize, long seed) {
    Checks.checkArgument(examples >= 1, "there must be at least one example, but were: %s",
        examples);
    Checks.checkArgument(batchSize >= 1, "batch size must be positive, but was: %s", batchSize);
    return new MiniBatchOrder(examples, batchSize, seed);
  }

  /** Steps per epoch: &lceil;N / batchSize&rceil;. */
  public int stepsPerEpoch() {
    return (examples + batchSize - 1) / batchSize;
  }

  /** The permutation of the examples that epoch {@code epoch} (from 0) visits. */
  public int[] epoch(int epoch) {
    Checks.checkArgument(epoch >= 0, "epoch must be >= 0, but was: %s", epoch);
    int[] order = new int[examples];
    for (int i = 0; i < examples; i++) {
      order[i] = i;
    }
    SplittableRandom random = new SplittableRandom(seed ^ (GOLDEN * (epoch + 1L)));
    for (int i = examples - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /** The examples of step {@code step} (from 0) of an epoch whose order is {@code epochOrder}. */
  public int[] step(int[] epochOrder, int step) {
    Checks.checkArgument(step >= 0 && step < stepsPerEpoch(), "step must be in [0, %s), but was: %s",
        stepsPerEpoch(), step);
    int from = step * batchSize;
    int to = Math.min(examples, from + batchSize);
    return java.util.Arrays.copyOfRange(epochOrder, from, to);
  }

  /** How many examples step {@code step} (from 0) of an epoch has: the batch size, or the rest. */
  public int stepSize(int step) {
    Checks.checkArgument(step >= 0 && step < stepsPerEpoch(), "step must be in [0, %s), but was: %s",
        stepsPerEpoch(), step);
    return Math.min(examples, (step + 1) * batchSize) - step * batchSize;
  }

  public int examples() {
    return examples;
  }

  public int batchSize() {
    return batchSize;
  }
}
