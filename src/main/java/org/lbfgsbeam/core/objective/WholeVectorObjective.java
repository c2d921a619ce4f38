package org.lbfgsbeam.core.objective;

import org.lbfgsbeam.core.partition.Partitioning;

/**
 * A {@link DifferentiableFunction} seen as a {@link PartitionedObjective} of one block, so that the
 * serial API runs through the same coordinator and kernels as the distributed paths. Phase 1 evaluates
 * the function; its "margins" are [f, g<sub>0</sub>, &hellip;, g<sub>n&minus;1</sub>].
 */
public final class WholeVectorObjective implements PartitionedObjective {
  private final DifferentiableFunction function;
  private final Partitioning partitioning;

  public WholeVectorObjective(DifferentiableFunction function, int dimension) {
    this.function = function;
    this.partitioning = Partitioning.of(1, dimension, 1);
  }

  @Override
  public Partitioning partitioning() {
    return partitioning;
  }

  @Override
  public double[] margins(int block, double[] weights) {
    double[] out = new double[weights.length + 1];
    double[] g = new double[weights.length];
    out[0] = function.valueAndGradient(weights.clone(), g);
    System.arraycopy(g, 0, out, 1, g.length);
    return out;
  }

  @Override
  public double[] partialStatistics(int block, double[] margins) {
    return new double[] {margins[0]};
  }

  @Override
  public CombinedStatistics combine(double[][] partials) {
    return new CombinedStatistics(new double[0], partials[0][0]);
  }

  @Override
  public double gradient(int block, double[] weights, double[] margins, double[] broadcast,
      double[] gradient) {
    System.arraycopy(margins, 1, gradient, 0, gradient.length);
    return 0;
  }
}
