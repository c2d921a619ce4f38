package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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

  @Test
  void roundTripsThroughLibsvmReader(TestPipeline pipeline) throws IOException {
    List<LabeledExample> examples = randomExamples(new Random(7), 300);
    String path = tmp.resolve("out").resolve("train.libsvm").toString();
    PCollection<String> written = pipeline
        .apply("Examples", Create.of(examples))
        .apply("Write", WriteTrainingInput.to(path));
    PAssert.that(written).containsInAnyOrder(path);
    pipeline.run();

    SparseDataset data = LibsvmReader.read(Path.of(path));
    assertEquals(counts(examples), counts(toExamples(data)));
    try (Stream<Path> files = Files.list(tmp.resolve("out"))) {
      assertEquals(List.of(Path.of(path)), files.toList(), "no temporary files are left");
    }
  }

  @Test
  void refusesToReplaceAFileUnlessAsked(TestPipeline pipeline) throws IOException {
    Path file = tmp.resolve("train.libsvm");
    Files.writeString(file, "1 1:1\n");
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<LabeledExample> examples = p.apply(Create.of(
        LabeledExample.of(2, new int[] {3}, new double[] {0.5})));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> examples.apply(WriteTrainingInput.to(file.toString())));
    assertEquals(file + " already exists (use withOverwrite(true) to replace it)", e.getMessage());

    pipeline.apply(Create.of(LabeledExample.of(2, new int[] {3}, new double[] {0.5})))
        .apply(WriteTrainingInput.to(file.toString()).withOverwrite(true));
    pipeline.run();
    assertEquals("2 3:0.5\n", Files.readString(file));
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
  void validatesThePath() {
    assertEquals("path must be set, but was: ", assertThrows(IllegalArgumentException.class,
        () -> WriteTrainingInput.to("")).getMessage());
    assertEquals("path must name a file, not a directory, but was: /data/",
        assertThrows(IllegalArgumentException.class, () -> WriteTrainingInput.to("/data/"))
            .getMessage());
    assertEquals("path must name one file, not a pattern, but was: /data/*.libsvm",
        assertThrows(IllegalArgumentException.class,
            () -> WriteTrainingInput.to("/data/*.libsvm")).getMessage());
  }

  @Test
  void optionsAreImmutableAndDisplayed() {
    WriteTrainingInput write = WriteTrainingInput.to("/data/train.libsvm");
    WriteTrainingInput replacing = write.withOverwrite(true);
    assertEquals(false, write.overwrite());
    assertEquals(true, replacing.overwrite());
    assertEquals("/data/train.libsvm", replacing.path());
    DisplayData display = DisplayData.from(replacing);
    assertTrue(display.asMap().toString().contains("/data/train.libsvm"), display.toString());
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
