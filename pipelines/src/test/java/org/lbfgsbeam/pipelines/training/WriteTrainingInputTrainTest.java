package org.lbfgsbeam.pipelines.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.data.DataFiles;
import org.lbfgsbeam.pipelines.data.ShardedInputTest;
import org.lbfgsbeam.transforms.LabeledExample;
import org.lbfgsbeam.transforms.WriteTrainingInput;

/**
 * What {@link WriteTrainingInput} writes on the DirectRunner, in parallel shards, is what {@code
 * train --data 'PREFIX-*'} trains on.
 *
 * <p>Which example lands in which shard, and in which order, is the runner's choice, so "the same
 * model" cannot mean the model of the examples in the order they were created. What holds, and is
 * tested: the shards hold every example once, bit for bit; a run over the shards has the bits of a
 * run over their concatenation in name order (the set train reads is that file's); and a run over
 * the examples in their original order differs from it only by the rounding of sums taken in
 * another order.
 */
class WriteTrainingInputTrainTest {
  @TempDir
  Path tmp;

  @Test
  void trainOverWrittenShardsIsTrainOverTheirConcatenation() throws IOException {
    Path original = SharedData.file("synth-small.libsvm");
    SparseDataset set = LibsvmReader.read(original);
    String prefix = tmp.resolve("written").resolve("train").toString();
    WriteTrainingInput write = WriteTrainingInput.to(prefix).withNumShards(5)
        .withSuffix(".libsvm");
    Pipeline pipeline = Pipeline.create(TrainCommand.directOptions(2));
    pipeline.apply("Examples", Create.of(examples(set)))
        .apply("WriteTrainingInput", write);
    pipeline.run().waitUntilFinish();

    List<Path> shards;
    try (Stream<Path> files = Files.list(tmp.resolve("written"))) {
      shards = files.sorted().toList();
    }
    assertEquals(5, shards.size(), shards.toString());
    Path concatenated = tmp.resolve("concatenated.libsvm");
    try (OutputStream out = Files.newOutputStream(concatenated, StandardOpenOption.CREATE_NEW)) {
      for (Path shard : shards) {
        assertTrue(shard.getFileName().toString().matches("train-0000[0-4]-of-00005\\.libsvm"),
            shard.toString());
        Files.copy(shard, out);
      }
    }
    Path pattern = Path.of(write.shardPattern());
    SparseDataset read = DataFiles.read(pattern, null);
    assertEquals(LibsvmReader.read(concatenated), read);
    assertEquals(counts(examples(set)), counts(examples(read)), "every example once, bit for bit");

    Path fromShards = tmp.resolve("shards");
    Path fromFile = tmp.resolve("file");
    Path fromOriginal = tmp.resolve("original");
    for (Path[] run : new Path[][] {{pattern, fromShards}, {concatenated, fromFile},
        {original, fromOriginal}}) {
      TrainCommandTest.Run r = TrainCommandTest.main("train", "--data", run[0].toString(),
          "--lambda", "1e-4", "--partitions", "2", "--max-iterations", "5", "--output",
          run[1].toString());
      assertEquals(0, r.status(), r.err());
    }
    ShardedInputTest.assertSameModel(fromFile, fromShards, 2);
    double f = TrainCommandTest.summary(fromShards).get("objective").asDouble();
    double g = TrainCommandTest.summary(fromOriginal).get("objective").asDouble();
    // Five iterations of sums over 2000 examples in another order: rounding, far below 1e-9.
    assertTrue(Math.abs(f - g) <= 1e-9 * Math.abs(g), f + " vs " + g + " in the original order");
  }

  /** The rows of {@code set} as examples with their original labels and 1-based indices. */
  private static List<LabeledExample> examples(SparseDataset set) {
    List<LabeledExample> out = new ArrayList<>(set.numExamples());
    for (int i = 0; i < set.numExamples(); i++) {
      int from = set.rowOffsets()[i];
      int to = set.rowOffsets()[i + 1];
      int[] indices = new int[to - from];
      double[] values = new double[to - from];
      for (int p = from; p < to; p++) {
        indices[p - from] = set.columns()[p] + 1;
        values[p - from] = set.values()[p];
      }
      out.add(LabeledExample.of(set.classLabels()[set.labels()[i]], indices, values));
    }
    return out;
  }

  private static Map<LabeledExample, Integer> counts(List<LabeledExample> examples) {
    Map<LabeledExample, Integer> counts = new HashMap<>();
    examples.forEach(e -> counts.merge(e, 1, Integer::sum));
    return counts;
  }
}
