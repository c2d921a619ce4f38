package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lbfgsbeam.core.batch.BatchSumObjective;
import org.lbfgsbeam.core.data.DatasetFile;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.optim.LbfgsCoordinator;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.core.optim.SuperstepResult;
import org.lbfgsbeam.core.testing.SharedData;

/**
 * The data-parallel evaluation of a superstep on the DirectRunner: &theta; crosses as a singleton side
 * input a fixed number of times per evaluation, whatever the number of shards and batches (counted by
 * {@link ThetaCoder}), and the evaluation has the in-process sum's bits.
 */
class EvaluateShardsTest {

  @TempDir
  Path tmp;

  @ParameterizedTest(name = "S={0}")
  @ValueSource(ints = {1, 3, 9})
  void thetaCrossesOncePerEvaluationNotOncePerBatch(int shards) throws Exception {
    SparseDataset data = LibsvmReader.read(SharedData.file("heart_scale.libsvm"));
    Path prepared = tmp.resolve("data.bin");
    try (OutputStream out = Files.newOutputStream(prepared)) {
      DatasetFile.write(data, out);
    }
    // 270 examples in 27 batches of 10.
    NetworkSpec network = new NetworkSpec(List.of(6), Activation.TANH,
        Loss.SOFTMAX_CROSS_ENTROPY, 10, shards, 5);
    ObjectiveSpec spec = new ObjectiveSpec(ObjectiveSpec.Model.MLP, 1e-3, 2, prepared.toString(),
        network);
    BatchSumObjective<?> objective = (BatchSumObjective<?>) ObjectiveCache.build(spec, data);
    // As train runs the DirectRunner: without its per-element immutability and encodability checks,
    // which encode every element again on each use.
    org.apache.beam.runners.direct.DirectOptions options = PipelineOptionsFactory.create()
        .as(org.apache.beam.runners.direct.DirectOptions.class);
    options.setEnforceImmutability(false);
    options.setEnforceEncodability(false);
    BeamSuperstepExecutor beam = BeamSuperstepExecutor.create(options,
        tmp.resolve("state").toString(), spec);
    for (int b = 0; b < 2; b++) {
      beam.storeStartBlock(b, objective.startBlock(b));
    }
    LbfgsCoordinator coordinator = new LbfgsCoordinator(LbfgsOptions.defaults());
    LbfgsState start = coordinator.start();
    long before = ThetaCoder.encodedCount();
    SuperstepResult result = beam.execute(start.pending()); // the start point: one evaluation
    long encodings = ThetaCoder.encodedCount() - before;
    // The DirectRunner encodes an element a bounded number of times (output, side-input
    // materialisation, its encodability check); never once per shard or batch.
    assertTrue(encodings >= 1 && encodings <= 3, "theta encoded " + encodings + " times for "
        + shards + " shards of 27 batches");

    double[] theta = BatchSumObjective.assemble(new double[][] {objective.startBlock(0),
        objective.startBlock(1)});
    double[] g = new double[theta.length];
    double f = objective.sum().evaluate(shardsOf(objective), theta, g);
    assertEquals(f, result.trial().value(), 0.0, "f bits");
    double[][] stored = beam.read("g-0");
    assertArrayEquals(g, BatchSumObjective.assemble(stored), 0.0, "gradient bits");
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static List shardsOf(BatchSumObjective<?> objective) {
    List out = new java.util.ArrayList();
    for (int s = 0; s < objective.shardCount(); s++) {
      out.add(objective.shard(s));
    }
    return out;
  }
}
