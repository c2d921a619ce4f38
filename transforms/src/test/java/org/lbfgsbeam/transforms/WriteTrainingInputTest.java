package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;

/** Examples written from a pipeline read back through {@code train}'s reader, bit for bit. */
@ExtendWith(TestPipelineExtension.class)
class WriteTrainingInputTest {
  /** Values whose decimal text is easy to get wrong. */
  private static final double[] TRICKY = {0.1, 1.0 / 3, -2, 1e-7, 123456789.125, Double.MIN_VALUE,
      Double.MAX_VALUE, -1e-300, 0x1p53 + 2, 1e22, 1e23, -0.0, 0.0, 255, 0.5};

  @TempDir
  Path tmp;

  /**
   * Four shards, each written whole; read back shard by shard in name order (as {@code train}
   * reads them) they hold the examples written, each once, bit for bit.
   */
  @Test
  void writesShardsThatReadBackThroughLibsvmReader(TestPipeline pipeline) throws IOException {
    List<LabeledExample> examples = randomExamples(new Random(7), 300);
    String prefix = tmp.resolve("out").resolve("train").toString();
    WriteTrainingInput write = WriteTrainingInput.to(prefix).withNumShards(4)
        .withSuffix(".libsvm");
    List<String> names = new ArrayList<>();
    for (int s = 0; s < 4; s++) {
      names.add(String.format("%s-%05d-of-00004.libsvm", prefix, s));
    }
    PCollection<String> written = pipeline
        .apply("Examples", Create.of(examples))
        .apply("Write", write);
    PAssert.that(written).containsInAnyOrder(names);
    pipeline.run();

    List<SparseDataset> shards = new ArrayList<>();
    for (String name : names) {
      try (Reader in = Files.newBufferedReader(Path.of(name))) {
        SparseDataset shard = LibsvmReader.readShard(name, in);
        assertTrue(shard.numExamples() > 0, name + " is empty: the lines were not spread");
        shards.add(shard);
      }
    }
    assertEquals(counts(examples), counts(toExamples(SparseDataset.concatenate(shards))));
    try (Stream<Path> files = Files.list(tmp.resolve("out"))) {
      assertEquals(names, files.map(Path::toString).sorted().toList(),
          "the shards and nothing else: no temporary files are left");
    }
    assertEquals(prefix + "-*-of-*.libsvm", write.shardPattern());
  }

  /** Without a shard count the runner chooses one; every example is still written once. */
  @Test
  void theRunnerMayChooseTheShards(TestPipeline pipeline) throws IOException {
    List<LabeledExample> examples = randomExamples(new Random(8), 100);
    String prefix = tmp.resolve("train").toString();
    pipeline.apply("Examples", Create.of(examples)).apply("Write", WriteTrainingInput.to(prefix));
    pipeline.run();
    List<SparseDataset> shards = new ArrayList<>();
    try (Stream<Path> files = Files.list(tmp)) {
      for (Path f : files.sorted().toList()) {
        assertTrue(f.getFileName().toString().matches("train-\\d{5}-of-\\d{5}"), f.toString());
        try (Reader in = Files.newBufferedReader(f)) {
          shards.add(LibsvmReader.readShard(f.toString(), in));
        }
      }
    }
    assertEquals(counts(examples), counts(toExamples(SparseDataset.concatenate(shards))));
  }

  /**
   * Existing shards are refused unless asked; replacing three shards with two deletes the third,
   * so that the shard pattern matches exactly the new set.
   */
  @Test
  void refusesToReplaceShardsUnlessAskedAndLeavesNoStaleOne(TestPipeline pipeline)
      throws IOException {
    String prefix = tmp.resolve("train").toString();
    for (int s = 0; s < 3; s++) {
      Files.writeString(Path.of(String.format("%s-%05d-of-00003", prefix, s)), "1 1:1\n");
    }
    Files.writeString(tmp.resolve("trainer.txt"), "not a shard\n");
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<LabeledExample> examples = p.apply(Create.of(
        LabeledExample.of(2, new int[] {3}, new double[] {0.5})));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> examples.apply(WriteTrainingInput.to(prefix)));
    assertEquals(prefix + "-00000-of-00003 already exists (use withOverwrite(true) to replace the"
        + " shards of " + prefix + ")", e.getMessage());

    List<String> names = List.of(prefix + "-00000-of-00002", prefix + "-00001-of-00002");
    PCollection<String> written = pipeline
        .apply(Create.of(LabeledExample.of(2, new int[] {3}, new double[] {0.5}),
            LabeledExample.of(4, new int[] {1}, new double[] {1})))
        .apply(WriteTrainingInput.to(prefix).withNumShards(2).withOverwrite(true));
    PAssert.that(written).containsInAnyOrder(names);
    pipeline.run();
    try (Stream<Path> files = Files.list(tmp)) {
      List<String> left = new ArrayList<>(names);
      left.add(tmp.resolve("trainer.txt").toString());
      assertEquals(left.stream().sorted().toList(), files.map(Path::toString).sorted().toList());
    }
    String text = Files.readString(Path.of(names.get(0))) + Files.readString(Path.of(names.get(1)));
    assertEquals(List.of("2 3:0.5", "4 1:1"), text.lines().sorted().toList());
  }

  @Test
  void formatsLinesThatReadBackToTheSameBits() throws IOException {
    assertEquals("3 1:1 4:0.5 9:-0 10:1.0E-7 11:0",
        WriteTrainingInput.libsvmLine(LabeledExample.of(3, new int[] {1, 4, 9, 10, 11},
            new double[] {1, 0.5, -0.0, 1e-7, 0})));
    assertEquals("-5", WriteTrainingInput.libsvmLine(LabeledExample.of(-5, SparseFeatures.empty())));
    int[] idx = new int[TRICKY.length];
    for (int p = 0; p < idx.length; p++) {
      idx[p] = 2 * p + 1;
    }
    LabeledExample e = LabeledExample.of(1, idx, TRICKY);
    SparseDataset data = LibsvmReader.read("line",
        new StringReader(WriteTrainingInput.libsvmLine(e) + "\n"));
    assertEquals(List.of(e), toExamples(data));
  }

  @Test
  void validatesItsOptions() {
    assertEquals("prefix must be set, but was: ", assertThrows(IllegalArgumentException.class,
        () -> WriteTrainingInput.to("")).getMessage());
    assertEquals("prefix must start a file name, not name a directory, but was: /data/",
        assertThrows(IllegalArgumentException.class, () -> WriteTrainingInput.to("/data/"))
            .getMessage());
    assertEquals("prefix must be a path, not a pattern, but was: /data/*.libsvm",
        assertThrows(IllegalArgumentException.class,
            () -> WriteTrainingInput.to("/data/*.libsvm")).getMessage());
    WriteTrainingInput write = WriteTrainingInput.to("/data/train");
    assertEquals("numShards must be positive, or 0 for the runner's choice, but was: -2",
        assertThrows(IllegalArgumentException.class, () -> write.withNumShards(-2))
            .getMessage());
    assertEquals("suffix must be part of a file name, without / or pattern characters, but was:"
        + " /x", assertThrows(IllegalArgumentException.class, () -> write.withSuffix("/x"))
            .getMessage());
  }

  @Test
  void optionsAreImmutableAndDisplayed() {
    WriteTrainingInput write = WriteTrainingInput.to("/data/train");
    WriteTrainingInput replacing = write.withOverwrite(true).withNumShards(16).withSuffix(".txt");
    assertEquals(false, write.overwrite());
    assertEquals(0, write.numShards());
    assertEquals("", write.suffix());
    assertEquals(true, replacing.overwrite());
    assertEquals(16, replacing.numShards());
    assertEquals(".txt", replacing.suffix());
    assertEquals("/data/train", replacing.prefix());
    assertEquals("/data/train-*-of-*.txt", replacing.shardPattern());
    Map<String, DisplayData.Item> display = new HashMap<>();
    DisplayData.from(replacing).items().forEach(i -> display.put(i.getKey(), i));
    assertEquals("/data/train", display.get("prefix").getValue());
    assertEquals(16L, display.get("numShards").getValue());
    assertEquals(".txt", display.get("suffix").getValue());
    assertEquals(true, display.get("overwrite").getValue());
  }

  static List<LabeledExample> randomExamples(Random random, int n) {
    int[] labels = {-1, 0, 3, 7, 1000};
    List<LabeledExample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int nnz = random.nextInt(8);
      int[] idx = random.ints(1, 50).distinct().limit(nnz).sorted().toArray();
      double[] val = new double[nnz];
      for (int p = 0; p < nnz; p++) {
        val[p] = random.nextInt(3) == 0 ? TRICKY[random.nextInt(TRICKY.length)]
            : random.nextGaussian() * Math.pow(10, random.nextInt(21) - 10);
      }
      out.add(LabeledExample.of(labels[random.nextInt(labels.length)], idx, val));
    }
    return out;
  }

  /** The dataset's rows as examples with their original labels and 1-based indices. */
  static List<LabeledExample> toExamples(SparseDataset data) {
    List<LabeledExample> out = new ArrayList<>();
    for (int i = 0; i < data.numExamples(); i++) {
      int from = data.rowOffsets()[i];
      int to = data.rowOffsets()[i + 1];
      int[] idx = new int[to - from];
      double[] val = new double[to - from];
      for (int p = from; p < to; p++) {
        idx[p - from] = data.columns()[p] + 1;
        val[p - from] = data.values()[p];
      }
      out.add(LabeledExample.of(data.classLabels()[data.labels()[i]], idx, val));
    }
    return out;
  }

  private static Map<LabeledExample, Integer> counts(List<LabeledExample> examples) {
    Map<LabeledExample, Integer> counts = new HashMap<>();
    for (LabeledExample e : examples) {
      counts.merge(e, 1, Integer::sum);
    }
    return counts;
  }
}
