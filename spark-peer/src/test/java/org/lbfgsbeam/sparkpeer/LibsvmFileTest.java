package org.lbfgsbeam.sparkpeer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** lbfgs-beam's LIBSVM conventions, which Spark's own libsvm source does not follow. */
class LibsvmFileTest {
  @TempDir Path dir;

  private LibsvmFile read(String text) throws IOException {
    Path file = dir.resolve("data.libsvm");
    Files.writeString(file, text);
    return LibsvmFile.read(file);
  }

  @Test
  void classesAreTheSortedLabelsAndMultiLabelLinesKeepTheFirst() throws IOException {
    LibsvmFile d = read("5 2:1.5\n-1 1:0.5 7:2\n# a comment line\n\n3,7 1:0.25\n3, 9 4:1e-1 # tail\n"
        + "+5\n");
    assertArrayEquals(new int[] {-1, 3, 5}, d.classLabels);
    assertArrayEquals(new int[] {2, 0, 1, 1, 2}, d.classes);
    assertEquals(7, d.numFeatures, "D is the largest index");
    assertArrayEquals(new int[] {0, 1, 3, 4, 5, 5}, d.rowOffsets);
    assertArrayEquals(new int[] {1, 0, 6, 0, 3}, d.columns, "1-based indices become columns");
    assertArrayEquals(new double[] {1.5, 0.5, 2, 0.25, 0.1}, d.values);
  }

  @Test
  void badLinesNameTheLine() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> read("1 1:1\n2 3:1 2:1\n"));
    assertTrue(e.getMessage().contains(":2: feature index 2 not ascending after 3"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> read("1 0:1\n"));
    assertTrue(e.getMessage().contains(":1: feature index 0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> read("x 1:1\n"));
    assertTrue(e.getMessage().contains("bad label 'x'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> read("1 1:1e400\n"));
    assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> read("# nothing\n"));
    assertTrue(e.getMessage().contains("no examples"), e.getMessage());
  }

  @Test
  void objectiveAtZeroIsLogK() throws IOException {
    LibsvmFile d = read("1 1:1\n2 2:1\n3 1:1 2:1\n");
    double[] w = new double[3 * 2];
    assertEquals(Math.log(3), SoftmaxObjective.value(d, 0.5, w), 1e-15);
    w[0] = 1; // class 0, feature 1
    // margins: x1 -> (1,0,0), x2 -> (0,0,0), x3 -> (1,0,0)
    double expected = (Math.log(Math.E + 2) - 1 + Math.log(3) + Math.log(Math.E + 2)) / 3 + 0.25;
    assertEquals(expected, SoftmaxObjective.value(d, 0.5, w), 1e-15);
  }
}
