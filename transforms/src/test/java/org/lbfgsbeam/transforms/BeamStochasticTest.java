package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.kfac.FisherType;
import org.lbfgsbeam.core.kfac.Kfac;
import org.lbfgsbeam.core.kfac.KfacBlockState;
import org.lbfgsbeam.core.kfac.KfacInversion;
import org.lbfgsbeam.core.kfac.KfacLayerState;
import org.lbfgsbeam.core.kfac.KfacOptimizer;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.core.stochastic.Adam;
import org.lbfgsbeam.core.stochastic.BlockLayout;
import org.lbfgsbeam.core.stochastic.LearningRateSchedule;
import org.lbfgsbeam.core.stochastic.MiniBatchTrainer;
import org.lbfgsbeam.core.stochastic.MomentumLbfgs;
import org.lbfgsbeam.core.stochastic.ShardStatisticsOptimizer;
import org.lbfgsbeam.core.stochastic.Sgd;
import org.lbfgsbeam.core.stochastic.StochasticOptimizer;

/**
 * {@code BeamStochastic.train} on the DirectRunner (immutability and encodability checks on), a
 * pipeline per step: the in-process trainer's bits for a few steps of SGD, Adam, mL-BFGS (into its
 * quasi-Newton phase) and K-FAC (steps with and without the shards' factors, both Fishers), its
 * message when a run blows up, and K-FAC's block state through the block-state coder.
 */
class BeamStochasticTest {
  @TempDir
  Path tmp;

  private final MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {5, 4, 3},
      Activation.TANH, Loss.SOFTMAX_CROSS_ENTROPY);

  private static DenseBatch blobs(int rows, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] x = new double[rows * 5];
    int[] labels = new int[rows];
    for (int i = 0; i < rows; i++) {
      labels[i] = random.nextInt(3);
      for (int j = 0; j < 5; j++) {
        x[i * 5 + j] = random.nextGaussian() + (j == labels[i] ? 1.5 : 0);
      }
    }
    return DenseBatch.classification(5, x, labels);
  }

  private final DenseBatch train = blobs(70, 1); // 3 steps of 32, 32 and 6 rows
  private final DenseBatch validation = blobs(30, 2);

  private void sameBits(StochasticOptimizer optimizer, String name) throws Exception {
    sameBits(optimizer, 2, name);
  }

  /**
   * The trainer and BeamStochastic on the same network, data and options (2 epochs of 3 steps,
   * {@code shards} shards a step): the same final θ, trace and optimiser sizes, bit for bit.
   */
  private void sameBits(StochasticOptimizer optimizer, int shards, String name) throws Exception {
    double[] theta0 = net.initialParameters(4);
    BlockLayout layout = optimizer instanceof KfacOptimizer k ? k.layout() // a block per layer
        : BlockLayout.layers(net, 10); // 4 blocks
    MiniBatchTrainer.Options options = new MiniBatchTrainer.Options(2, 32, 3, shards, 1,
        LearningRateSchedule.constant(0.05));
    MiniBatchTrainer.Result local = MiniBatchTrainer.train(net, theta0, train, validation,
        optimizer, layout, options, (row, theta) -> { });
    List<MiniBatchTrainer.EpochRow> told = new ArrayList<>();
    MiniBatchTrainer.Result beam = BeamStochastic.train(net, theta0, train, validation, optimizer,
        layout, options, (row, theta) -> told.add(row), PipelineOptionsFactory.create(),
        tmp.resolve(name).toString());
    assertArrayEquals(local.theta(), beam.theta(), 0.0, name);
    assertEquals(2, told.size());
    for (int e = 0; e < 2; e++) {
      assertEquals(local.trace().get(e).trainLoss(), beam.trace().get(e).trainLoss(), 0.0);
      assertEquals(local.trace().get(e).validationLoss(), beam.trace().get(e).validationLoss(),
          0.0);
      assertEquals(local.trace().get(e).steps(), beam.trace().get(e).steps());
    }
    assertEquals(local.optimizerBytes(), beam.optimizerBytes());
  }

  @Test
  void sgdHasTheInProcessBits() throws Exception {
    sameBits(Sgd.defaults().withMomentum(0.9).withNesterov(true), "sgd");
  }

  @Test
  void adamHasTheInProcessBits() throws Exception {
    sameBits(Adam.defaults(), "adam");
  }

  @Test
  void mlbfgsHasTheInProcessBitsIntoItsQuasiNewtonPhase() throws Exception {
    MomentumLbfgs m = MomentumLbfgs.defaults().withPairPeriod(1).withHistory(2).withBeta(0.5);
    assertTrue(m.firstQuasiNewtonStep() == 1, "quasi-Newton from step 1 of 6");
    sameBits(m, "mlbfgs");
  }

  @Test
  void kfacHasTheInProcessBitsWithTheEmpiricalFisher() throws Exception {
    sameBits(kfac(FisherType.EMPIRICAL), 3, "kfac-empirical");
  }

  @Test
  void kfacHasTheInProcessBitsWithTheTrueFisher() throws Exception {
    sameBits(kfac(FisherType.TRUE), 3, "kfac-true");
  }

  /**
   * K-FAC with factors every 2 steps and inverses every 3: of the 6 steps of {@link #sameBits}
   * (3 per epoch), 0, 2 and 4 gather the shards' factors and 1, 3 and 5 do not; 0 and 3 invert.
   * Its runs take 3 shards, since the sum of two in either order has the same bits.
   */
  private KfacOptimizer kfac(FisherType fisher) {
    KfacOptimizer k = KfacOptimizer.of(Kfac.defaults().withFactorUpdateInterval(2)
        .withInverseUpdateInterval(3).withFisher(fisher), net).withSamplingSeed(11);
    assertTrue(k.statisticsDue(4) && !k.statisticsDue(3) && k.kfac().inverseDue(3)
        && !k.kfac().inverseDue(2), "steps with and without factors and inverses");
    return k;
  }

  /**
   * A K-FAC block state through {@code BlockStateCoder} (Java serialization, as the state files
   * between steps) after each phase of three steps: the decoded state encodes to the same bytes
   * (every field, the pending factors and the preconditioner included, came back), its
   * preconditioner preconditions with the same bits, and the run continued from the decoded states
   * ends with the same parameters and states as the one that never left memory. Both inversions, in
   * double and single precision.
   */
  @Test
  void kfacBlockStateSurvivesTheBlockStateCoder() throws Exception {
    for (KfacInversion inversion : KfacInversion.values()) {
      for (boolean single : new boolean[] {false, true}) {
        KfacOptimizer k = KfacOptimizer.of(Kfac.defaults().withInversion(inversion)
            .withInverseUpdateInterval(2).withSinglePrecision(single), net);
        String what = inversion + (single ? ", float" : ", double");
        KfacBlockState[] kept = new KfacBlockState[2];
        double[] keptTheta = kfacSteps(k, kept, false, what);
        KfacBlockState[] coded = new KfacBlockState[2];
        double[] codedTheta = kfacSteps(k, coded, true, what);
        assertArrayEquals(keptTheta, codedTheta, 0.0, what);
        for (int b = 0; b < 2; b++) {
          KfacLayerState x = kept[b].layer();
          KfacLayerState y = coded[b].layer();
          assertEquals(3, y.factorUpdates(), what);
          assertEquals(0, y.fallbacks(), what);
          assertNotNull(y.preconditioner(), what);
          assertArrayEquals(x.averageA(), y.averageA(), 0.0, what);
          assertArrayEquals(x.averageG(), y.averageG(), 0.0, what);
          assertArrayEquals(x.velocity(), y.velocity(), 0.0, what);
          assertArrayEquals(x.direction(), y.direction(), 0.0, what);
          assertEquals(x.lastFellBack(), y.lastFellBack(), what);
          assertFalse(y.lastFellBack(), what);
        }
      }
    }
  }

  /**
   * Three K-FAC steps of {@code k} on the whole training set as one shard, each block's calls in
   * the trainer's order (offer, partials, update); with {@code throughCoder} each block's state goes through the coder after the
   * statistics are offered, after its partials and after its update. Returns θ; the final states
   * are left in {@code states}.
   */
  private double[] kfacSteps(KfacOptimizer k, KfacBlockState[] states, boolean throughCoder,
      String what) throws Exception {
    BlockLayout layout = k.layout();
    int n = net.parameterCount();
    double[] theta = net.initialParameters(4);
    double[][] thetaB = new double[2][];
    for (int b = 0; b < 2; b++) {
      thetaB[b] = layout.slice(theta, b);
      states[b] = k.init(b, thetaB[b].clone());
    }
    for (long t = 0; t < 3; t++) {
      double[][] partials = {k.shardPartial(t, 0, train, theta)};
      double[] statistics = ShardStatisticsOptimizer.splitStatistics(partials, n,
          k.statisticsLength());
      double[] gradient = new double[n];
      for (int j = 0; j < n; j++) {
        gradient[j] = partials[0][1 + j] * (1.0 / train.rows());
      }
      double[] reduced = new double[1];
      for (int b = 0; b < 2; b++) {
        k.offerStatistics(t, states[b], b, k.statisticsFor(b, statistics));
        states[b] = throughCoder ? roundTrip(b, thetaB[b], states[b], what) : states[b];
        reduced[0] += k.partials(t, states[b], thetaB[b], layout.slice(gradient, b))[0];
        states[b] = throughCoder ? roundTrip(b, thetaB[b], states[b], what) : states[b];
      }
      for (int b = 0; b < 2; b++) {
        k.update(t, states[b], thetaB[b], layout.slice(gradient, b), reduced, 0.05);
        states[b] = throughCoder ? roundTrip(b, thetaB[b], states[b], what) : states[b];
        System.arraycopy(thetaB[b], 0, theta, layout.from(b), thetaB[b].length);
      }
    }
    return theta;
  }

  /**
   * The state decoded from its encoding, checked to encode to the same bytes and to precondition
   * with the same bits.
   */
  private static KfacBlockState roundTrip(int block, double[] theta, KfacBlockState state,
      String what) throws Exception {
    BeamStochastic.BlockStateCoder coder = new BeamStochastic.BlockStateCoder();
    byte[] bytes = CoderUtils.encodeToByteArray(coder,
        new BeamStochastic.BlockState(block, theta.clone(), state));
    BeamStochastic.BlockState decoded = CoderUtils.decodeFromByteArray(coder, bytes);
    assertArrayEquals(bytes, CoderUtils.encodeToByteArray(coder, decoded), what);
    assertArrayEquals(theta, decoded.theta(), 0.0, what);
    KfacBlockState s = (KfacBlockState) decoded.state();
    if (state.layer().preconditioner() != null) {
      double[] probe = new double[state.layer().size()];
      for (int j = 0; j < probe.length; j++) {
        probe[j] = Math.sin(j + 1.0);
      }
      assertEquals(state.layer().preconditioner().getClass(),
          s.layer().preconditioner().getClass(), what);
      assertArrayEquals(state.layer().preconditioner().apply(probe),
          s.layer().preconditioner().apply(probe), 0.0, what);
    }
    return s;
  }

  @Test
  void aBlowUpStopsWithTheInProcessMessage() {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {5, 8, 3}, Activation.RELU,
        Loss.SOFTMAX_CROSS_ENTROPY);
    double[] theta0 = net.initialParameters(4);
    BlockLayout layout = BlockLayout.layers(net, 100);
    StochasticOptimizer sgd = Sgd.defaults().withMomentum(0.99);
    MiniBatchTrainer.Options options = new MiniBatchTrainer.Options(3, 32, 3, 2, 1,
        LearningRateSchedule.constant(1e6));
    IllegalStateException local = assertThrows(IllegalStateException.class,
        () -> MiniBatchTrainer.train(net, theta0, train, validation, sgd, layout, options,
            (row, theta) -> { }));
    IllegalStateException beam = assertThrows(IllegalStateException.class,
        () -> BeamStochastic.train(net, theta0, train, validation, sgd, layout, options,
            (row, theta) -> { }, PipelineOptionsFactory.create(), tmp.resolve("x").toString()));
    assertEquals(local.getMessage(), beam.getMessage());
  }
}
