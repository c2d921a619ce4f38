package org.lbfgsbeam.core.kfac;

import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.core.stochastic.BlockLayout;
import org.lbfgsbeam.core.stochastic.OptimizerState;
import org.lbfgsbeam.core.stochastic.ShardStatisticsOptimizer;

/**
 * {@link Kfac} on the stochastic training loop's protocol ({@link ShardStatisticsOptimizer}): a
 * block is one layer of the network ({@link #layout()}), kept on the node that owns it; on the steps
 * that update the factors, each shard returns its layers' Kronecker factor partials
 * ({@link KroneckerFactors}, packed after its [f, g]) from the same backward pass as its gradient
 * (empirical Fisher) or from one more backward pass on targets sampled from the model (true Fisher,
 * seeded by the sampling seed, the step and the shard); the partials are summed in shard order and
 * each layer's owner takes its own, averages them, damps and inverts (when due) and preconditions its
 * gradient: Osawa et al.'s layout, in which the factors of layer l are reduced to the node of layer l
 * and only the preconditioned blocks come back together. The global reduction of a step is the one
 * scalar &Sigma;<sub>l</sub>&lang;V<sub>l</sub>, g&#771;<sub>l</sub>&rang; of the KL clip.
 *
 * <p>Immutable. The state of a block is a {@link KfacBlockState}.
 */
public final class KfacOptimizer implements ShardStatisticsOptimizer {
  private static final long serialVersionUID = 1L;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final Kfac kfac;
  private final MultilayerPerceptron net;
  private final long samplingSeed;
  private final int[] statisticsOffsets;

  private KfacOptimizer(Kfac kfac, MultilayerPerceptron net, long samplingSeed) {
    this.kfac = kfac;
    this.net = net;
    this.samplingSeed = samplingSeed;
    this.statisticsOffsets = new int[net.layers() + 1];
    for (int l = 0; l < net.layers(); l++) {
      statisticsOffsets[l + 1] = statisticsOffsets[l]
          + KroneckerFactors.packedLength(net.inputs(l), net.outputs(l));
    }
  }

  /** K-FAC with hyperparameters {@code kfac} on the layers of {@code net}; sampling seed 1. */
  public static KfacOptimizer of(Kfac kfac, MultilayerPerceptron net) {
    Checks.checkArgument(kfac != null, "kfac must not be null");
    Checks.checkArgument(net != null, "net must not be null");
    return new KfacOptimizer(kfac, net, 1);
  }

  /** A copy whose true-Fisher targets are drawn from {@code seed} (mixed with step and shard). */
  public KfacOptimizer withSamplingSeed(long seed) {
    return new KfacOptimizer(kfac, net, seed);
  }

  /** The hyperparameters. */
  public Kfac kfac() {
    return kfac;
  }

  /** The block layout K-FAC needs: one block per layer, in layer order. */
  public BlockLayout layout() {
    return BlockLayout.layers(net, Integer.MAX_VALUE);
  }

  @Override
  public String name() {
    return "kfac";
  }

  @Override
  public KfacBlockState init(int block, double[] theta) {
    Checks.checkArgument(block >= 0 && block < net.layers(),
        "K-FAC's blocks are the network's %s layers, but block was: %s", net.layers(), block);
    int size = net.outputs(block) * (net.inputs(block) + 1);
    Checks.checkArgument(theta != null && theta.length == size,
        "block %s must be layer %s (%s parameters; use KfacOptimizer.layout()), but had: %s",
        block, block, size, theta == null ? "null" : theta.length);
    return new KfacBlockState(kfac.init(net, block));
  }

  /** One: &lang;V<sub>l</sub>, g&#771;<sub>l</sub>&rang;. */
  @Override
  public int partialCount() {
    return 1;
  }

  @Override
  public boolean statisticsDue(long step) {
    return kfac.factorsDue(step);
  }

  @Override
  public int statisticsLength() {
    return statisticsOffsets[net.layers()];
  }

  @Override
  public double[] shardPartial(long step, int shard, DenseBatch part, double[] theta) {
    int n = net.parameterCount();
    double[] gradient = new double[n];
    long seed = samplingSeed ^ (GOLDEN * (step + 1)) ^ Long.rotateLeft(GOLDEN * (shard + 1), 17);
    KfacBatchStatistics s = KfacBatchStatistics.compute(net, theta, part, gradient, kfac.fisher(),
        seed);
    double[] out = new double[1 + n + statisticsLength()];
    out[0] = s.loss();
    System.arraycopy(gradient, 0, out, 1, n);
    for (int l = 0; l < net.layers(); l++) {
      s.factors(l).packInto(out, 1 + n + statisticsOffsets[l]);
    }
    return out;
  }

  @Override
  public double[] statisticsFor(int block, double[] statistics) {
    Checks.checkArgument(statistics != null && statistics.length == statisticsLength(),
        "statistics must hold %s values, but had: %s", statisticsLength(),
        statistics == null ? "null" : statistics.length);
    Checks.checkArgument(block >= 0 && block < net.layers(),
        "K-FAC's blocks are the network's %s layers, but block was: %s", net.layers(), block);
    return java.util.Arrays.copyOfRange(statistics, statisticsOffsets[block],
        statisticsOffsets[block + 1]);
  }

  @Override
  public void offerStatistics(long step, OptimizerState state, int block, double[] part) {
    checkState(state).pending = KroneckerFactors.unpack(part, 0, net.inputs(block),
        net.outputs(block));
  }

  @Override
  public double[] partials(long step, OptimizerState state, double[] theta, double[] gradient) {
    KfacBlockState st = checkState(state);
    int l = st.layer().layer();
    double[] wbar = AugmentedLayout.gatherSlice(net.inputs(l), net.outputs(l), theta);
    double[] gbar = AugmentedLayout.gatherSlice(net.inputs(l), net.outputs(l), gradient);
    double s = kfac.partial(step, st.layer(), st.pending, wbar, gbar);
    st.pending = null;
    return new double[] {s};
  }

  @Override
  public void update(long step, OptimizerState state, double[] theta, double[] gradient,
      double[] reduced, double learningRate) {
    KfacBlockState st = checkState(state);
    Checks.checkArgument(reduced != null && reduced.length == 1,
        "reduced must hold 1 value, but had: %s", reduced == null ? null : reduced.length);
    int l = st.layer().layer();
    double[] wbar = AugmentedLayout.gatherSlice(net.inputs(l), net.outputs(l), theta);
    kfac.update(step, st.layer(), wbar, reduced[0], learningRate);
    AugmentedLayout.scatterSlice(net.inputs(l), net.outputs(l), wbar, theta);
  }

  private static KfacBlockState checkState(OptimizerState state) {
    Checks.checkArgument(state instanceof KfacBlockState,
        "KfacOptimizer needs a KfacBlockState, but was: %s",
        state == null ? null : state.getClass().getName());
    return (KfacBlockState) state;
  }

  @Override
  public String toString() {
    return "KfacOptimizer{" + kfac + ", samplingSeed=" + samplingSeed + "}";
  }
}
