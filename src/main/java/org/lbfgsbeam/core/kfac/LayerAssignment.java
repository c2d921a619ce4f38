package org.lbfgsbeam.core.kfac;

import java.util.Arrays;
import java.util.Comparator;
import org.lbfgsbeam.core.Checks;

/**
 * Which worker owns each layer's factors, inverse and preconditioning: KAISA's compute-balanced
 * greedy assignment (Pauloski et al., SC 2021; kfac-pytorch {@code kfac/assignment.py}, strategy
 * {@code COMPUTE} with the factors of a layer colocated). A layer's cost is that of factorising its
 * two factors, (d<sub>in</sub>+1)<sup>3</sup> + d<sub>out</sub><sup>3</sup> (A includes the bias
 * row); the layers are taken largest cost first (ties: lower layer index first) and each goes to the
 * worker with the least cost so far (ties: lower worker index), the longest-processing-time rule
 * (Graham 1969), whose makespan is within 4/3 of the optimum.
 */
public final class LayerAssignment {
  private LayerAssignment() {}

  /** (d<sub>in</sub>+1)<sup>3</sup> + d<sub>out</sub><sup>3</sup>. */
  public static long cost(int inputs, int outputs) {
    Checks.checkArgument(inputs >= 1 && outputs >= 1,
        "inputs and outputs must be positive, but were: %s, %s", inputs, outputs);
    long a = inputs + 1L;
    long g = outputs;
    return a * a * a + g * g * g;
  }

  /**
   * The owner of each layer.
   *
   * @param costs the layers' costs, each &ge; 0
   * @param workers the number of workers, &ge; 1
   * @return owner[l] in [0, workers)
   */
  public static int[] greedy(long[] costs, int workers) {
    Checks.checkArgument(costs != null, "costs must not be null");
    Checks.checkArgument(workers >= 1, "workers must be positive, but was: %s", workers);
    for (int l = 0; l < costs.length; l++) {
      Checks.checkArgument(costs[l] >= 0, "costs[%s] must be >= 0, but was: %s", l, costs[l]);
    }
    Integer[] order = new Integer[costs.length];
    Arrays.setAll(order, l -> l);
    Arrays.sort(order, Comparator.<Integer>comparingLong(l -> -costs[l]).thenComparingInt(l -> l));
    long[] load = new long[workers];
    int[] owner = new int[costs.length];
    for (int l : order) {
      int best = 0;
      for (int w = 1; w < workers; w++) {
        if (load[w] < load[best]) {
          best = w;
        }
      }
      owner[l] = best;
      load[best] += costs[l];
    }
    return owner;
  }

  /** {@link #greedy} on the {@link #cost} of each layer of a network with these layer sizes. */
  public static int[] forLayerSizes(int[] layerSizes, int workers) {
    Checks.checkArgument(layerSizes != null && layerSizes.length >= 2,
        "layerSizes needs at least the input and output sizes, but was: %s",
        Arrays.toString(layerSizes));
    long[] costs = new long[layerSizes.length - 1];
    for (int l = 0; l < costs.length; l++) {
      costs[l] = cost(layerSizes[l], layerSizes[l + 1]);
    }
    return greedy(costs, workers);
  }
}
