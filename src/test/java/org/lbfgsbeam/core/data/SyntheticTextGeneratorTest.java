package org.lbfgsbeam.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SyntheticTextGeneratorTest {
  /** N = 600, D = 3000, K = 12: small, but with classes of very different sizes. */
  private static final SyntheticTextGenerator SMALL = SyntheticTextGenerator.of(600, 3000, 12)
      .withWordsPerDocument(40).withTopicWords(30).withSeed(7);

  @TempDir
  Path tmp;

  private static String text(SyntheticTextGenerator g) throws IOException {
    StringWriter out = new StringWriter();
    g.write(out);
    return out.toString();
  }

  private static SparseDataset readBack(String text) throws IOException {
    return LibsvmReader.read("generated", new StringReader(text));
  }

  @Test
  void sameSeedGivesTheSameBytes() throws IOException {
    assertEquals(text(SMALL), text(SMALL));
    assertEquals(text(SMALL), text(SyntheticTextGenerator.of(600, 3000, 12)
        .withSeed(7).withTopicWords(30).withWordsPerDocument(40)), "the order of with... calls");
    assertEquals(SMALL.generate(), SMALL.generate());
  }

  @Test
  void differentSeedsGiveDifferentSets() throws IOException {
    assertNotEquals(text(SMALL), text(SMALL.withSeed(8)));
    assertNotEquals(SMALL.generate(), SMALL.withSeed(8).generate());
  }

  @Test
  void writtenTextReadsBackToTheGeneratedSet() throws IOException {
    SparseDataset generated = SMALL.generate();
    assertEquals(generated, readBack(text(SMALL)), "values are written so they read back exactly");
    Path file = tmp.resolve("small.libsvm");
    SMALL.write(file);
    assertEquals(generated, LibsvmReader.read(file));
    assertEquals(text(SMALL), Files.readString(file));
  }

  @ParameterizedTest(name = "N={0} D={1} K={2}")
  @MethodSource("shapes")
  void shapeIsExactAfterReadingBack(int n, int d, int k, int topicWords) throws IOException {
    SyntheticTextGenerator g = SyntheticTextGenerator.of(n, d, k).withTopicWords(topicWords);
    SparseDataset ds = readBack(text(g));
    assertEquals(n, ds.numExamples());
    assertEquals(d, ds.numFeatures(), "the largest index present is D");
    assertEquals(k, ds.numClasses(), "every class is present");
    int[] expectedLabels = new int[k];
    for (int c = 0; c < k; c++) {
      expectedLabels[c] = c;
    }
    assertArrayEquals(expectedLabels, ds.classLabels(), "labels are 0..K-1");
  }

  static Stream<Arguments> shapes() {
    return Stream.of(
        Arguments.of(500, 2000, 10, 50),
        Arguments.of(300, 100_000, 30, 50), // word D forced into one document
        Arguments.of(7, 7, 7, 7), // N = K: one document a class; T = D: every word in each topic
        Arguments.of(1, 1, 1, 1));
  }

  /** Word D (column D-1) is far too rare to occur by chance here, so one document gets it. */
  @Test
  void wordDIsForcedIntoOneDocumentWhenNoneHasIt() {
    SparseDataset ds = SyntheticTextGenerator.of(300, 100_000, 30).generate();
    int rows = 0;
    for (int column : ds.columns()) {
      rows += column == 99_999 ? 1 : 0;
    }
    assertEquals(1, rows);
  }

  @Test
  void rowsAreUnitVectorsOfFinitePositiveValuesInAscendingColumns() {
    SparseDataset ds = SMALL.generate();
    int[] offsets = ds.rowOffsets();
    for (int i = 0; i < ds.numExamples(); i++) {
      assertTrue(offsets[i + 1] > offsets[i], "row " + i + " is empty");
      double squares = 0;
      for (int e = offsets[i]; e < offsets[i + 1]; e++) {
        double v = ds.values()[e];
        assertTrue(Double.isFinite(v) && v > 0 && v <= 1, "row " + i + " value " + v);
        squares += v * v;
      }
      assertEquals(1.0, Math.sqrt(squares), 1e-12, "norm of row " + i);
    }
    // SparseDataset's constructor has checked that columns ascend within rows and lie below D.
  }

  @Test
  void classSizesFollowThePowerLaw() {
    SyntheticTextGenerator g = SMALL.withClassExponent(1.2);
    int n = g.documents();
    int k = g.classes();
    int[] sizes = g.classSizes();
    double total = 0;
    for (int c = 0; c < k; c++) {
      total += Math.pow(c + 1, -1.2);
    }
    int sum = 0;
    for (int c = 0; c < k; c++) {
      double expected = 1 + (n - k) * Math.pow(c + 1, -1.2) / total;
      assertTrue(Math.abs(sizes[c] - expected) < 1, "class " + c + ": " + sizes[c] + " vs "
          + expected);
      assertTrue(c == 0 || sizes[c] <= sizes[c - 1], "non-increasing at class " + c);
      sum += sizes[c];
    }
    assertEquals(n, sum);
    assertTrue(sizes[0] > 5 * sizes[k - 1], "largest " + sizes[0] + ", smallest " + sizes[k - 1]);

    int[] counted = new int[k];
    for (int label : g.generate().labels()) {
      counted[label]++;
    }
    assertArrayEquals(sizes, counted, "the generated labels have the class sizes");
  }

  @Test
  void classSizesWithExponentZeroAreEqual() {
    assertArrayEquals(new int[] {4, 3, 3}, SyntheticTextGenerator.of(10, 10, 3)
        .withTopicWords(5).withClassExponent(0).classSizes());
  }

  @Test
  void labelsAreShuffledNotSortedByClass() {
    int[] labels = SMALL.generate().labels();
    int changes = 0;
    for (int i = 1; i < labels.length; i++) {
      changes += labels[i] != labels[i - 1] ? 1 : 0;
    }
    assertTrue(changes > labels.length / 3, "label changes between rows: " + changes);
  }

  /** The vocabulary is Zipfian: word 1 is in more documents than any other word. */
  @Test
  void firstWordIsTheMostFrequent() {
    SparseDataset ds = SMALL.generate();
    int[] df = new int[ds.numFeatures()];
    for (int column : ds.columns()) {
      df[column]++;
    }
    for (int j = 1; j < df.length; j++) {
      assertTrue(df[0] > df[j], "df of word 1 is " + df[0] + ", of word " + (j + 1) + " " + df[j]);
    }
  }

  /**
   * The topics make classes learnable: documents of one class are on average more alike (cosine)
   * than documents of different classes, by a wide margin; without topics they are not.
   */
  @Test
  void documentsOfAClassShareTheirTopic() {
    double[] withTopics = meanCosines(SMALL.generate());
    assertTrue(withTopics[0] > 2 * withTopics[1],
        "same class " + withTopics[0] + ", different classes " + withTopics[1]);
    double[] withoutTopics = meanCosines(SMALL.withTopicWeight(0).generate());
    assertTrue(withoutTopics[0] < 1.2 * withoutTopics[1],
        "same class " + withoutTopics[0] + ", different classes " + withoutTopics[1]);
  }

  /** {mean cosine of same-class pairs, mean cosine of different-class pairs}. */
  private static double[] meanCosines(SparseDataset ds) {
    double[][] dense = new double[ds.numExamples()][ds.numFeatures()];
    for (int i = 0; i < dense.length; i++) {
      for (int e = ds.rowOffsets()[i]; e < ds.rowOffsets()[i + 1]; e++) {
        dense[i][ds.columns()[e]] = ds.values()[e];
      }
    }
    double[] sum = new double[2];
    long[] pairs = new long[2];
    for (int i = 0; i < dense.length; i++) {
      for (int e = i + 1; e < dense.length; e++) {
        double dot = 0;
        for (int q = ds.rowOffsets()[i]; q < ds.rowOffsets()[i + 1]; q++) {
          dot += ds.values()[q] * dense[e][ds.columns()[q]];
        }
        int kind = ds.labels()[i] == ds.labels()[e] ? 0 : 1;
        sum[kind] += dot;
        pairs[kind]++;
      }
    }
    return new double[] {sum[0] / pairs[0], sum[1] / pairs[1]};
  }

  @Test
  void documentLengthsHaveTheRequestedMean() {
    SplittableRandom random = new SplittableRandom(3);
    long total = 0;
    int draws = 20_000;
    for (int i = 0; i < draws; i++) {
      total += SyntheticTextGenerator.poisson(random, 59);
    }
    // Poisson(59): the mean of 20,000 draws has standard deviation sqrt(59 / 20000) = 0.054.
    assertEquals(59, (double) total / draws, 0.3);
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("badOptions")
  void badOptionsAreRejectedNamingTheValue(Supplier<SyntheticTextGenerator> build,
      String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::get);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  static Stream<Arguments> badOptions() {
    SyntheticTextGenerator g = SyntheticTextGenerator.of(100, 1000, 10);
    return Stream.of(
        bad(() -> SyntheticTextGenerator.of(0, 10, 1),
            "documents must be in [1, 2147483638], but was: 0"),
        bad(() -> SyntheticTextGenerator.of(10, -7, 1),
            "features must be in [1, 2147483639], but was: -7"),
        bad(() -> SyntheticTextGenerator.of(10, 10, 0), "classes must be positive, but was: 0"),
        bad(() -> g.withDocuments(-3), "documents must be in [1, 2147483638], but was: -3"),
        bad(() -> g.withFeatures(0), "features must be in [1, 2147483639], but was: 0"),
        bad(() -> g.withClasses(-2), "classes must be positive, but was: -2"),
        bad(() -> g.withWordsPerDocument(0),
            "wordsPerDocument must be in [1, 1000000], but was: 0"),
        bad(() -> g.withTopicWords(-1), "topicWords must be positive, but was: -1"),
        bad(() -> g.withTopicWeight(1.5), "topicWeight must be in [0, 1], but was: 1.5"),
        bad(() -> g.withTopicWeight(Double.NaN), "topicWeight must be in [0, 1], but was: NaN"),
        bad(() -> g.withClassExponent(-0.5),
            "classExponent must be finite and non-negative, but was: -0.5"),
        bad(() -> g.withZipfExponent(Double.POSITIVE_INFINITY),
            "zipfExponent must be finite and non-negative, but was: Infinity"),
        bad(() -> g.withClasses(101).validate(),
            "classes must be at most documents (100) so that every class has a document,"
                + " but was: 101"),
        bad(() -> g.withTopicWords(1001).validate(),
            "topicWords must be at most features (1000), but was: 1001"),
        bad(() -> {
          g.withFeatures(20).withTopicWords(50).generate();
          return g;
        }, "topicWords must be at most features (20), but was: 50"));
  }

  private static Arguments bad(Supplier<SyntheticTextGenerator> build, String expected) {
    return Arguments.of(build, expected);
  }

  @Test
  void writeRejectsInconsistentOptionsBeforeWriting() {
    StringWriter out = new StringWriter();
    SyntheticTextGenerator g = SyntheticTextGenerator.of(5, 100, 6);
    assertThrows(IllegalArgumentException.class, () -> g.write(out));
    assertEquals("", out.toString());
    Path file = tmp.resolve("never.libsvm");
    assertThrows(IllegalArgumentException.class, () -> g.write(file));
    assertTrue(Files.notExists(file), "nothing is created for bad options");
  }

  @Test
  void defaultsAndToString() {
    SyntheticTextGenerator g = SyntheticTextGenerator.of(4463, 51033, 1139);
    assertEquals(60, g.wordsPerDocument());
    assertEquals(50, g.topicWords());
    assertEquals(0.5, g.topicWeight());
    assertEquals(1.0, g.classExponent());
    assertEquals(1.1, g.zipfExponent());
    assertEquals(1L, g.seed());
    assertEquals(20, SyntheticTextGenerator.of(100, 20, 3).topicWords(), "topicWords <= D");
    assertEquals("SyntheticTextGenerator{documents=4463, features=51033, classes=1139,"
        + " wordsPerDocument=60, topicWords=50, topicWeight=0.5, classExponent=1.0,"
        + " zipfExponent=1.1, seed=1}", g.toString());
  }
}
