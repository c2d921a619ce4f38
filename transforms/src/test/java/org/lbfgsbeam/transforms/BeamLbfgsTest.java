package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.batch.BatchObjective;
import org.lbfgsbeam.core.batch.BatchSum;
import org.lbfgsbeam.core.batch.DataParallelLayout;
import org.lbfgsbeam.core.batch.Regularizer;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.optim.IterationListener;
import org.lbfgsbeam.core.optim.Lbfgs;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsResult;

/**
 * A user's own batch objective, written as a lambda, minimised by {@code BeamLbfgs.minimize} on the
 * DirectRunner over staged batches: the serial call's bits for the same shards and partitions.
 */
@org.junit.jupiter.api.extension.ExtendWith(TestPipelineExtension.class)
class BeamLbfgsTest {
  private static final int FEATURES = 5;

  @TempDir
  Path tmp;

  /** Logistic regression with one output per class written by hand: the user's batch loss. */
  static final BatchObjective<DenseBatch> USER_LOSS = (batch, theta, gradient) -> {
    double loss = 0;
    int d = batch.features();
    for (int i = 0; i < batch.rows(); i++) {
      double z = theta[d];
      for (int j = 0; j < d; j++) {
        z += theta[j] * batch.x()[i * d + j];
      }
      double y = batch.labels()[i];
      // log(1 + e^z) - y z, computed without overflow
      loss += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - y * z;
      double r = 1 / (1 + Math.exp(-z)) - y;
      for (int j = 0; j < d; j++) {
        gradient[j] += r * batch.x()[i * d + j];
      }
      gradient[d] += r;
    }
    return loss;
  };

  static List<DenseBatch> batches(int count, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<DenseBatch> out = new ArrayList<>();
    for (int b = 0; b < count; b++) {
      int rows = 7 + b % 3;
      double[] x = new double[rows * FEATURES];
      int[] labels = new int[rows];
      for (int i = 0; i < rows; i++) {
        double s = 0;
        for (int j = 0; j < FEATURES; j++) {
          x[i * FEATURES + j] = random.nextDouble(-1, 1);
          s += (j - 2) * x[i * FEATURES + j];
        }
        labels[i] = s + random.nextDouble(-0.5, 0.5) > 0 ? 1 : 0;
      }
      out.add(DenseBatch.classification(FEATURES, x, labels));
    }
    return out;
  }

  @Test
  void directRunnerGivesTheSerialBits() throws Exception {
    List<DenseBatch> data = batches(10, 1);
    BatchSum<DenseBatch> sum = BatchSum.of(USER_LOSS, FEATURES + 1).withScale(1.0 / 80)
        .withRegularizer(Regularizer.l2(1e-2));
    double[] theta0 = new double[FEATURES + 1];
    LbfgsOptions options = LbfgsOptions.defaults().withMaxIterations(6);
    LbfgsResult serial = Lbfgs.minimize(sum, data, theta0, options, new DataParallelLayout(2, 3, 1),
        IterationListener.none());
    StagedBatches<DenseBatch> staged = StagedBatches.write(data, DenseBatchCoder.of(),
        tmp.resolve("batches").toString(), 3);
    LbfgsResult beam = BeamLbfgs.minimize(sum, staged, theta0, options, 2,
        PipelineOptionsFactory.create(), tmp.resolve("state").toString());
    assertTrue(serial.iterations() >= 4, "iterations " + serial.iterations());
    assertArrayEquals(serial.x(), beam.x(), 0.0);
    assertEquals(serial.value(), beam.value(), 0.0);
    assertEquals(serial.evaluations(), beam.evaluations());
    assertEquals(serial.stopReason(), beam.stopReason());
  }

  /** Batches staged by a pipeline from an indexed PCollection, in parallel, then minimised. */
  @Test
  void batchesStagedByAPipelineGiveTheSerialBits(org.apache.beam.sdk.testing.TestPipeline pipeline)
      throws Exception {
    List<DenseBatch> data = batches(9, 3);
    List<org.apache.beam.sdk.values.KV<Long, DenseBatch>> indexed = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      indexed.add(org.apache.beam.sdk.values.KV.of((long) i, data.get(i)));
    }
    java.util.Collections.reverse(indexed); // arrival order does not matter
    String dir = tmp.resolve("staged").toString();
    org.apache.beam.sdk.values.PCollection<StagedBatches<DenseBatch>> staged = pipeline
        .apply("Batches", org.apache.beam.sdk.transforms.Create.of(indexed).withCoder(
            org.apache.beam.sdk.coders.KvCoder.of(org.apache.beam.sdk.coders.VarLongCoder.of(),
                DenseBatchCoder.of())))
        .apply("Stage", StageBatches.<DenseBatch>to(dir).withShards(4));
    org.apache.beam.sdk.testing.PAssert.that(staged)
        .containsInAnyOrder(StagedBatches.at(dir, 4, 9, DenseBatchCoder.of()));
    pipeline.run();

    BatchSum<DenseBatch> sum = BatchSum.of(USER_LOSS, FEATURES + 1).withScale(1.0 / 72);
    LbfgsOptions options = LbfgsOptions.defaults().withMaxIterations(4);
    LbfgsResult serial = Lbfgs.minimize(sum, data, new double[FEATURES + 1], options,
        new DataParallelLayout(1, 4, 1), IterationListener.none());
    LbfgsResult beam = BeamLbfgs.minimize(sum, StagedBatches.at(dir, 4, 9, DenseBatchCoder.of()),
        new double[FEATURES + 1], options, 1, PipelineOptionsFactory.create(),
        tmp.resolve("state2").toString());
    assertArrayEquals(serial.x(), beam.x(), 0.0);
  }

  @Test
  void stagedBatchesRoundTripAndNameBrokenFiles() throws IOException {
    List<DenseBatch> data = batches(7, 2);
    StagedBatches<DenseBatch> staged = StagedBatches.write(data, DenseBatchCoder.of(),
        tmp.resolve("b").toString(), 3);
    List<DenseBatch> back = staged.readAll();
    assertEquals(7, back.size());
    for (int i = 0; i < 7; i++) {
      assertArrayEquals(data.get(i).x(), back.get(i).x(), 0.0);
      assertArrayEquals(data.get(i).labels(), back.get(i).labels());
    }
    assertEquals(List.of(2, 2, 3), List.of(staged.shardSize(0), staged.shardSize(1),
        staged.shardSize(2)));
    Path shard1 = Path.of(staged.shardFile(1).toString().replaceFirst("^file:", ""));
    byte[] bytes = Files.readAllBytes(shard1);
    Files.write(shard1, java.util.Arrays.copyOf(bytes, bytes.length - 9));
    IOException e = assertThrows(IOException.class, () -> staged.readShard(1));
    assertTrue(e.getMessage().contains("batches-00001-of-00003.bin"), e.getMessage());
    Files.delete(shard1);
    e = assertThrows(IOException.class, () -> staged.readShard(1));
    assertTrue(e.getMessage().contains("missing batches file"), e.getMessage());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> staged.writeShard(0, List.of(0L, 2L), data.subList(0, 2)));
    assertTrue(bad.getMessage().contains("expects batch 1"), bad.getMessage());
  }
}
