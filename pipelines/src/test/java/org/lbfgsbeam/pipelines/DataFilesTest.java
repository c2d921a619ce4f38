package org.lbfgsbeam.pipelines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.data.IdxReader;
import org.lbfgsbeam.core.data.InputFormatException;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;

class DataFilesTest {
  @TempDir
  Path tmp;

  @Test
  void idxPlainAndGzippedGiveTheSameDataset() throws IOException {
    IdxFixtures.Set set = IdxFixtures.stripes(30, new int[] {1, 4, 6}, 1);
    Path plain = Files.createDirectories(tmp.resolve("plain"));
    Path gz = Files.createDirectories(tmp.resolve("gz"));
    SparseDataset a = DataFiles.read(IdxFixtures.write(plain, "train", set, false), null);
    SparseDataset b = DataFiles.read(IdxFixtures.write(gz, "train", set, true), null);
    assertEquals(a, b);
    assertEquals(30, a.numExamples());
    assertEquals(IdxFixtures.ROWS * IdxFixtures.COLS, a.numFeatures());
    assertArrayEquals(new int[] {1, 4, 6}, a.classLabels());
  }

  @Test
  void explicitLabelsFileIsUsed() throws IOException {
    IdxFixtures.Set set = IdxFixtures.stripes(12, new int[] {0, 1, 2}, 2);
    Path images = IdxFixtures.write(tmp, "a", set, true);
    Path labels = tmp.resolve("renamed.labels");
    Files.move(tmp.resolve("a-labels-idx1-ubyte.gz"), labels);
    InputFormatException missing = assertThrows(InputFormatException.class,
        () -> DataFiles.read(images, null));
    assertTrue(missing.reason().contains("no labels file beside it"), missing.getMessage());
    assertEquals(IdxReader.read(images, labels), DataFiles.read(images, labels));
  }

  @Test
  void libsvmPlainAndGzipped() throws IOException {
    String text = "2 1:0.5 3:1\n-1 2:0.25\n";
    Path plain = tmp.resolve("x.libsvm");
    Files.writeString(plain, text);
    Path gz = tmp.resolve("x.libsvm.gz");
    Files.write(gz, IdxFixtures.gzip(text.getBytes()));
    SparseDataset expected = LibsvmReader.read(plain);
    assertEquals(expected, DataFiles.read(plain, null));
    assertEquals(expected, DataFiles.read(gz, null));
  }

  @Test
  void labelsOptionIsRefusedForLibsvm() throws IOException {
    Path plain = tmp.resolve("x.libsvm");
    Files.writeString(plain, "1 1:1\n");
    CommandLine.UsageException e = assertThrows(CommandLine.UsageException.class,
        () -> DataFiles.read(plain, tmp.resolve("labels")));
    assertTrue(e.getMessage().contains("--labels is for IDX image files"), e.getMessage());
  }

  @Test
  void alignToRemapsPadsAndNamesUnknownLabels() throws IOException {
    SparseDataset test = SparseDataset.of(3, new int[] {2, 9}, new int[] {0, 1, 2},
        new int[] {0, 2}, new double[] {1, 1}, new int[] {1, 0});
    SparseDataset aligned = DataFiles.alignTo(test, new int[] {1, 2, 9}, 5, tmp.resolve("t"));
    assertArrayEquals(new int[] {1, 2, 9}, aligned.classLabels());
    assertArrayEquals(new int[] {2, 1}, aligned.labels());
    assertEquals(5, aligned.numFeatures());
    SparseDataset wider = DataFiles.alignTo(test, new int[] {2, 9}, 2, tmp.resolve("t"));
    assertSame(test, wider, "a wider set keeps its features (scoring ignores the extra ones)");
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> DataFiles.alignTo(test, new int[] {1, 2}, 3, tmp.resolve("t")));
    assertEquals(tmp.resolve("t").toString(), e.source());
    assertTrue(e.reason().contains("label 9 is not among the model's class labels [1, 2]"),
        e.reason());
  }
}
