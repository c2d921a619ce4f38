package org.lbfgsbeam.core.data;

import org.lbfgsbeam.core.testing.SharedData;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class LibsvmReaderTest {
  private static SparseDataset parse(String text) throws IOException {
    return LibsvmReader.read("test.libsvm", new StringReader(text));
  }

  @Test
  void readsEveryArrayOfASmallFile() throws IOException {
    SparseDataset ds = parse(""
        + "2 1:0.5 4:-1.25 7:3\n"
        + "-1 2:1e-3\n"
        + "+1\n"
        + "2.0 3:+2 7:.5\n");
    assertEquals(4, ds.numExamples());
    assertEquals(7, ds.numFeatures());
    assertEquals(3, ds.numClasses());
    assertEquals(6, ds.nnz());
    assertArrayEquals(new int[] {-1, 1, 2}, ds.classLabels());
    assertArrayEquals(new int[] {0, 3, 4, 4, 6}, ds.rowOffsets());
    assertArrayEquals(new int[] {0, 3, 6, 1, 2, 6}, ds.columns());
    assertArrayEquals(new double[] {0.5, -1.25, 3, 1e-3, 2, 0.5}, ds.values());
    assertArrayEquals(new int[] {2, 0, 1, 2}, ds.labels());
  }

  @Test
  void lastLineNeedsNoNewline() throws IOException {
    SparseDataset ds = parse("1 1:1\n2 2:2");
    assertEquals(2, ds.numExamples());
    assertArrayEquals(new double[] {1, 2}, ds.values());
  }

  @Test
  void multiLabelLineKeepsItsFirstLabel() throws IOException {
    SparseDataset ds = parse(""
        + "7,3,9 1:1\n"
        + "545, 32 2:1\n" // LSHTC writes ", " between labels
        + "3 , 7\t3:1\n"
        + "9 4:1\n");
    assertArrayEquals(new int[] {3, 7, 9, 545}, ds.classLabels());
    assertArrayEquals(new int[] {1, 3, 0, 2}, ds.labels());
    assertArrayEquals(new int[] {0, 1, 2, 3}, ds.columns());
  }

  @Test
  void skipsCommentsAndBlankLinesAndAcceptsCrlf() throws IOException {
    SparseDataset ds = parse(""
        + "\uFEFF# a header comment\r\n"
        + "\r\n"
        + "   \t \r\n"
        + "1 1:2 3:4 # trailing comment 9:9\r\n"
        + "  # indented comment\r\n"
        + "-1\t2:5\t \r\n"
        + "1 4:6#no space before the comment\r\n");
    assertEquals(3, ds.numExamples());
    assertEquals(4, ds.numFeatures());
    assertArrayEquals(new int[] {0, 2, 3, 4}, ds.rowOffsets());
    assertArrayEquals(new int[] {0, 2, 1, 3}, ds.columns());
    assertArrayEquals(new double[] {2, 4, 5, 6}, ds.values());
    assertArrayEquals(new int[] {1, 0, 1}, ds.labels());
  }

  @Test
  void classesAreTheSortedDistinctLabels() throws IOException {
    SparseDataset ds = parse("5 1:1\n-1 1:1\n3 1:1\n5 1:1\n-1 1:1\n");
    assertArrayEquals(new int[] {-1, 3, 5}, ds.classLabels());
    assertArrayEquals(new int[] {2, 0, 1, 2, 0}, ds.labels());
  }

  @Test
  void aLineWithoutFeaturesIsAnEmptyExample() throws IOException {
    SparseDataset ds = parse("1\n2 # only a label\n");
    assertEquals(2, ds.numExamples());
    assertEquals(0, ds.numFeatures());
    assertEquals(0, ds.nnz());
    assertArrayEquals(new int[] {0, 0, 0}, ds.rowOffsets());
  }

  @Test
  void linesLongerThanTheReadBufferAreParsed() throws IOException {
    // A row of 30,000 features is ~300 KB, several times the reader's 64 Ki-char buffer, and the
    // Reader below hands out at most 7 chars per call so lines straddle every refill.
    StringBuilder text = new StringBuilder("3");
    for (int j = 1; j <= 30_000; j++) {
      text.append(' ').append(j).append(':').append(j % 17).append(".25");
    }
    text.append("\n4 30001:1\n");
    Reader trickle = new StringReader(text.toString()) {
      @Override
      public int read(char[] cbuf, int off, int len) throws IOException {
        return super.read(cbuf, off, Math.min(len, 7));
      }
    };
    SparseDataset ds = LibsvmReader.read("long.libsvm", trickle);
    assertEquals(2, ds.numExamples());
    assertEquals(30_001, ds.numFeatures());
    assertEquals(30_001, ds.nnz());
    for (int j = 1; j <= 30_000; j++) {
      assertEquals(j - 1, ds.columns()[j - 1]);
      assertEquals(j % 17 + 0.25, ds.values()[j - 1]);
    }
  }

  @Test
  void valuesAreBitIdenticalToDoubleParseDouble() throws IOException {
    Random random = new Random(42);
    String[] texts = new String[20_000];
    for (int k = 0; k < texts.length; k++) {
      double x = Math.scalb(random.nextDouble() - 0.5, random.nextInt(200) - 100);
      switch (k % 8) {
        case 0: texts[k] = Double.toString(x); break;
        case 1: texts[k] = String.format(Locale.ROOT, "%.17g", x); break;
        case 2: texts[k] = String.format(Locale.ROOT, "%.6f", x); break;
        case 3: texts[k] = String.format(Locale.ROOT, "%.15e", x); break;
        case 4: texts[k] = String.format(Locale.ROOT, "%.3E", x); break;
        case 5: texts[k] = Long.toString(random.nextLong() >> random.nextInt(64)); break;
        case 6: texts[k] = String.format(Locale.ROOT, "%.25f", x); break;
        default: texts[k] = "0." + "0".repeat(random.nextInt(30)) + random.nextInt(1_000_000);
      }
    }
    texts[0] = "-0";
    texts[1] = "4.9e-324";
    texts[2] = "1.7976931348623157e308";
    texts[3] = "9007199254740993"; // 2^53 + 1: not exact, takes the fallback
    texts[4] = "0x1.8p1";
    StringBuilder file = new StringBuilder();
    for (int k = 0; k < texts.length; k++) {
      file.append("1 1:").append(texts[k]).append('\n');
    }
    SparseDataset ds = parse(file.toString());
    for (int k = 0; k < texts.length; k++) {
      long expected = Double.doubleToRawLongBits(Double.parseDouble(texts[k]));
      long actual = Double.doubleToRawLongBits(ds.values()[k]);
      int index = k;
      assertEquals(expected, actual, () -> "value '" + texts[index] + "'");
    }
  }

  static Stream<Arguments> badInputs() {
    return Stream.of(
        Arguments.of("1 1:1\nabc 1:1\n", 2, "bad label 'abc'"),
        Arguments.of("2.5 1:1\n", 1, "bad label '2.5'"),
        Arguments.of("1d 1:1\n", 1, "bad label '1d'"),
        Arguments.of("99999999999 1:1\n", 1, "bad label '99999999999'"),
        Arguments.of("1:0.5 2:1\n", 1, "bad label '1:0.5'"),
        Arguments.of("1,x 1:1\n", 1, "bad label 'x'"),
        Arguments.of("1 1:1\n\n1 x:1\n", 3, "bad feature index 'x'"),
        Arguments.of("1 -3:1\n", 1, "bad feature index '-3'"),
        Arguments.of("1 :1\n", 1, "bad feature index ''"),
        Arguments.of("1 3000000000:1\n", 1, "bad feature index '3000000000'"),
        Arguments.of("1 0:1\n", 1, "feature index 0 (indices are 1-based)"),
        Arguments.of("1 1:1\n1 7:1 5:1\n", 2, "feature index 5 not ascending after 7"),
        Arguments.of("1 7:1 7:2\n", 1, "feature index 7 not ascending after 7"),
        Arguments.of("1 3:abc\n", 1, "bad value 'abc'"),
        Arguments.of("1 3:\n", 1, "bad value ''"),
        Arguments.of("1 3:1.5f\n", 1, "bad value '1.5f'"),
        Arguments.of("1 3:1e\n", 1, "bad value '1e'"),
        Arguments.of("1 3:0.5:2\n", 1, "bad value '0.5:2'"),
        Arguments.of("1 3:nan\n", 1, "non-finite value 'nan' for feature 3"),
        Arguments.of("1 3:NaN\n", 1, "non-finite value 'NaN' for feature 3"),
        Arguments.of("1 3:inf\n", 1, "non-finite value 'inf' for feature 3"),
        Arguments.of("1 4:-Infinity\n", 1, "non-finite value '-Infinity' for feature 4"),
        Arguments.of("1 3:1e400\n", 1, "non-finite value '1e400' for feature 3"),
        Arguments.of("1 1:1 3\n", 1, "bad token '3'"),
        Arguments.of("1 1:1\n2 qid:x 1:1\n", 2, "bad query id 'qid:x': expected qid:<integer>"),
        Arguments.of("1 qid: 1:1\n", 1, "bad query id 'qid:'"),
        Arguments.of("1 qid:1.5 1:1\n", 1, "bad query id 'qid:1.5'"),
        Arguments.of("1 qid:-\n", 1, "bad query id 'qid:-'"),
        Arguments.of("1 qid:1234567890123456789\n", 1, "bad query id 'qid:1234567890123456789'"),
        Arguments.of("1 1:1 qid:2\n", 1,
            "misplaced 'qid:2': qid comes once, right after the label"),
        Arguments.of("1 qid:1 qid:2 1:1\n", 1, "misplaced 'qid:2'"),
        Arguments.of("# c\r\n\r\n1 1:1\r\n1 2:1 2:1\r\n", 4,
            "feature index 2 not ascending after 2"),
        Arguments.of("", 0, "empty file: no examples"),
        Arguments.of("# only\n   # comments\n\n\t\r\n", 0, "empty file: no examples"));
  }

  @ParameterizedTest(name = "[{index}] line {1}: {2}")
  @MethodSource("badInputs")
  void badInputIsReportedWithLineAndReason(String text, int line, String reason) {
    InputFormatException e = assertThrows(InputFormatException.class, () -> parse(text));
    assertEquals("test.libsvm", e.source());
    assertEquals(line, e.line(), () -> "line of: " + e.getMessage());
    assertTrue(e.reason().contains(reason),
        () -> "reason '" + e.reason() + "' should contain '" + reason + "'");
    String location = line == 0 ? "test.libsvm: " : "test.libsvm:" + line + ": ";
    assertEquals(location + e.reason(), e.getMessage());
  }

  @Test
  void svmlightQueryIdsAreReadAndIgnored() throws IOException {
    // SVMlight's ranking files: "target qid:n features # info"; the qid groups examples for a
    // ranking loss and says nothing about the example itself.
    SparseDataset withQid = parse(""
        + "3 qid:1 1:0.5 4:-1\n"
        + "2 qid:1 2:1 # doc 7\n"
        + "1,5 qid:+2\t3:2\n"
        + "1 qid:-3\n"
        + "2 qid:0#comment right after\n");
    SparseDataset without = parse(""
        + "3 1:0.5 4:-1\n"
        + "2 2:1\n"
        + "1,5 3:2\n"
        + "1\n"
        + "2\n");
    assertEquals(without, withQid);
  }

  @Test
  void remembersTheLineOfTheLargestFeatureIndex() throws IOException {
    SparseDataset ds = parse(""
        + "# header\n"
        + "1 1:1\n"
        + "\n"
        + "2 qid:4 3:1 9:1\n"
        + "1 9:2\n"
        + "2 2:1\n");
    assertEquals(9, ds.numFeatures());
    assertEquals(4, ds.largestIndexLine()); // the first line holding 9, as an editor counts lines
    assertEquals(4, ds.withClassLabels(new int[] {0, 1, 2}).largestIndexLine());
    assertEquals(0, ds.withNumFeatures(10).largestIndexLine()); // D is no index of the file now
    assertEquals(4, ds.withNumFeatures(9).largestIndexLine()); // unchanged D: the same set
  }

  /**
   * Shards read one by one and concatenated in order are the set of their concatenated text, bit
   * for bit: the classes (ascending labels, some of them only in later shards, synth-small's 0..19
   * whose text order is not their numeric order), D, every array. Cuts fall anywhere, so some
   * shards are empty or hold only comments.
   */
  @ParameterizedTest(name = "{0} in {1} shards")
  @CsvSource({"heart_scale.libsvm, 8", "synth-small.libsvm, 8", "synth-small.libsvm, 3",
      "heart_scale.libsvm, 40"})
  void shardsConcatenateToTheSetOfTheWholeText(String file, int shards) throws IOException {
    java.util.List<String> lines = Files.readAllLines(SharedData.file(file));
    SparseDataset whole = LibsvmReader.read(SharedData.file(file));
    Random random = new Random(shards);
    int[] cuts = random.ints(shards - 1, 0, lines.size() + 1).sorted().toArray();
    java.util.List<SparseDataset> parts = new java.util.ArrayList<>();
    int from = 0;
    for (int s = 0; s < shards; s++) {
      int to = s < cuts.length ? cuts[s] : lines.size();
      StringBuilder text = new StringBuilder(s % 2 == 0 ? "# shard " + s + "\n" : "");
      for (String line : lines.subList(from, to)) {
        text.append(line).append('\n');
      }
      parts.add(LibsvmReader.readShard("part-" + s, new StringReader(text.toString())));
      from = to;
    }
    assertEquals(whole, SparseDataset.concatenate(parts));
  }

  @Test
  void aShardMayBeEmptyButKeepsItsOwnLineNumbers() throws IOException {
    SparseDataset empty = LibsvmReader.readShard("part-1", new StringReader("# nothing\n\n"));
    assertEquals(0, empty.numExamples());
    assertEquals(0, empty.numClasses());
    assertEquals(0, empty.numFeatures());
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> LibsvmReader.readShard("part-3", new StringReader("1 1:1\n2 3:1 2:1\n")));
    assertEquals("part-3:2: feature index 2 not ascending after 3", e.getMessage());
  }

  @Test
  void pathErrorsNameThePath(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("bad.libsvm");
    Files.write(file, "1 1:1\n1 2:x\n".getBytes(StandardCharsets.UTF_8));
    InputFormatException e =
        assertThrows(InputFormatException.class, () -> LibsvmReader.read(file));
    assertEquals(file + ":2: bad value 'x'", e.getMessage());
  }

  @Test
  void heartScaleHasTheReferenceShape() throws IOException {
    SparseDataset ds = LibsvmReader.read(SharedData.file("heart_scale.libsvm"));
    assertEquals(270, ds.numExamples());
    assertEquals(13, ds.numFeatures());
    assertEquals(2, ds.numClasses());
    assertArrayEquals(new int[] {-1, 1}, ds.classLabels());
    // First line: "+1 1:0.708333 2:1 3:1 4:-0.320755 ... 12:1 13:-1" (no feature 11).
    assertEquals(1, ds.labels()[0]);
    assertEquals(12, ds.rowOffsets()[1]);
    assertEquals(0.708333, ds.values()[0]);
    assertEquals(-0.320755, ds.values()[3]);
    assertEquals(12, ds.columns()[11]);
  }

  @Test
  void synthSmallHasTheReferenceShape() throws IOException {
    SparseDataset ds = LibsvmReader.read(SharedData.file("synth-small.libsvm"));
    assertEquals(2000, ds.numExamples());
    assertEquals(4999, ds.numFeatures());
    assertEquals(20, ds.numClasses());
  }

  @Test
  void synthMediumHasTheReferenceShape() throws IOException {
    SparseDataset ds = LibsvmReader.read(SharedData.file("synth-medium.libsvm"));
    assertEquals(20_000, ds.numExamples());
    assertEquals(50_000, ds.numFeatures());
    assertEquals(100, ds.numClasses());
  }
}
