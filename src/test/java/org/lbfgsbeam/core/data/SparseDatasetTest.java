package org.lbfgsbeam.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SparseDatasetTest {
  /**
   * Three examples, D = 4, classes {-1, 1}:
   * row 0 = {0: 1.5, 3: -2} label 1; row 1 = {} label -1; row 2 = {1: 0.25} label 1.
   */
  private static SparseDataset small() {
    return SparseDataset.of(4, new int[] {-1, 1}, new int[] {0, 2, 2, 3}, new int[] {0, 3, 1},
        new double[] {1.5, -2, 0.25}, new int[] {1, 0, 1});
  }

  @Test
  void accessorsReturnShapesAndTheGivenArrays() {
    int[] classLabels = {-1, 1};
    int[] rowOffsets = {0, 2, 2, 3};
    int[] columns = {0, 3, 1};
    double[] values = {1.5, -2, 0.25};
    int[] labels = {1, 0, 1};
    SparseDataset ds = new SparseDataset(4, classLabels, rowOffsets, columns, values, labels);
    assertEquals(3, ds.numExamples());
    assertEquals(4, ds.numFeatures());
    assertEquals(2, ds.numClasses());
    assertEquals(3, ds.nnz());
    assertSame(classLabels, ds.classLabels());
    assertSame(rowOffsets, ds.rowOffsets());
    assertSame(columns, ds.columns());
    assertSame(values, ds.values());
    assertSame(labels, ds.labels());
    assertEquals("SparseDataset{N=3, D=4, K=2, nnz=3}", ds.toString());
  }

  @Test
  void emptyDatasetIsAllowed() {
    SparseDataset ds =
        SparseDataset.of(0, new int[0], new int[] {0}, new int[0], new double[0], new int[0]);
    assertEquals(0, ds.numExamples());
    assertEquals(0, ds.nnz());
  }

  static Stream<Arguments> invalidShapes() {
    int[] k2 = {-1, 1};
    return Stream.of(
        Arguments.of("negative D", (Runnable) () -> SparseDataset.of(-3, k2, new int[] {0},
            new int[0], new double[0], new int[0]),
            "numFeatures must be non-negative, but was: -3"),
        Arguments.of("classLabels not ascending", (Runnable) () -> SparseDataset.of(2,
            new int[] {3, 3}, new int[] {0}, new int[0], new double[0], new int[0]),
            "classLabels[1] = 3 follows 3"),
        Arguments.of("empty rowOffsets", (Runnable) () -> SparseDataset.of(2, k2, new int[0],
            new int[0], new double[0], new int[0]), "had length: 0"),
        Arguments.of("labels length", (Runnable) () -> SparseDataset.of(2, k2, new int[] {0, 0},
            new int[0], new double[0], new int[0]), "labels must have length"),
        Arguments.of("values length", (Runnable) () -> SparseDataset.of(2, k2, new int[] {0, 1},
            new int[] {0}, new double[0], new int[] {0}), "had length: 0"),
        Arguments.of("rowOffsets[0]", (Runnable) () -> SparseDataset.of(2, k2, new int[] {1, 1},
            new int[] {0}, new double[] {1}, new int[] {0}), "rowOffsets[0] must be 0, but was: 1"),
        Arguments.of("rowOffsets end", (Runnable) () -> SparseDataset.of(2, k2, new int[] {0, 0},
            new int[] {0}, new double[] {1}, new int[] {0}), "must equal nnz"),
        Arguments.of("rowOffsets decreasing", (Runnable) () -> SparseDataset.of(3, k2,
            new int[] {0, 2, 1, 2}, new int[] {0, 1}, new double[] {1, 1}, new int[] {0, 0, 0}),
            "rowOffsets[2] = 1 follows rowOffsets[1] = 2"),
        Arguments.of("column too large", (Runnable) () -> SparseDataset.of(2, k2,
            new int[] {0, 1}, new int[] {2}, new double[] {1}, new int[] {0}), "but was: 2"),
        Arguments.of("column negative", (Runnable) () -> SparseDataset.of(2, k2,
            new int[] {0, 1}, new int[] {-1}, new double[] {1}, new int[] {0}), "but was: -1"),
        Arguments.of("columns not ascending", (Runnable) () -> SparseDataset.of(5, k2,
            new int[] {0, 2}, new int[] {3, 3}, new double[] {1, 1}, new int[] {0}),
            "columns[1] = 3 follows 3"),
        Arguments.of("non-finite value", (Runnable) () -> SparseDataset.of(2, k2,
            new int[] {0, 1}, new int[] {0}, new double[] {Double.NaN}, new int[] {0}),
            "values[0] must be finite, but was: NaN"),
        Arguments.of("label out of range", (Runnable) () -> SparseDataset.of(2, k2,
            new int[] {0, 0}, new int[0], new double[0], new int[] {2}),
            "labels[0] must be a class index in [0, 2), but was: 2"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidShapes")
  void constructorRejectsInvalidShapes(String name, Runnable build, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::run);
    assertTrue(e.getMessage().contains(message),
        () -> "message '" + e.getMessage() + "' should contain '" + message + "'");
  }

  @Test
  void withNumFeaturesWidensAndSharesArrays() {
    SparseDataset ds = small();
    SparseDataset wide = ds.withNumFeatures(10);
    assertEquals(10, wide.numFeatures());
    assertSame(ds.columns(), wide.columns());
    assertSame(ds.values(), wide.values());
    assertSame(ds, ds.withNumFeatures(4));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ds.withNumFeatures(3));
    assertTrue(e.getMessage().contains("but was: 3"), e.getMessage());
  }

  @Test
  void withClassLabelsRemapsToTrainingOrder() {
    // Test set with classes {-1, 1}; training classes {-1, 0, 1, 7}.
    SparseDataset test = small();
    SparseDataset remapped = test.withClassLabels(new int[] {-1, 0, 1, 7});
    assertArrayEquals(new int[] {-1, 0, 1, 7}, remapped.classLabels());
    assertArrayEquals(new int[] {2, 0, 2}, remapped.labels());
    assertEquals(4, remapped.numClasses());
    assertSame(test.columns(), remapped.columns());
    assertArrayEquals(new int[] {1, 0, 1}, test.labels(), "the original is unchanged");
    assertSame(test, test.withClassLabels(new int[] {-1, 1}));
  }

  @Test
  void withClassLabelsNamesAMissingLabel() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> small().withClassLabels(new int[] {-1, 0, 2}));
    assertEquals("label 1 is not among the training class labels [-1, 0, 2]", e.getMessage());
  }

  @Test
  void withClassLabelsRejectsUnsortedTrainingLabels() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> small().withClassLabels(new int[] {1, -1}));
    assertTrue(e.getMessage().contains("trainingClassLabels must be strictly ascending"),
        e.getMessage());
  }

  @Test
  void concatenateMergesClassesByLabelAndWidensD() {
    // part a: D = 4, classes {-1, 1}; part b: D = 6, classes {0, 1}; an empty part between them.
    SparseDataset b = SparseDataset.of(6, new int[] {0, 1}, new int[] {0, 1, 2},
        new int[] {5, 0}, new double[] {7, 8}, new int[] {1, 0});
    SparseDataset empty = SparseDataset.of(0, new int[0], new int[] {0}, new int[0],
        new double[0], new int[0]);
    SparseDataset all = SparseDataset.concatenate(java.util.List.of(small(), empty, b));
    assertEquals(6, all.numFeatures());
    assertArrayEquals(new int[] {-1, 0, 1}, all.classLabels());
    assertArrayEquals(new int[] {0, 2, 2, 3, 4, 5}, all.rowOffsets());
    assertArrayEquals(new int[] {0, 3, 1, 5, 0}, all.columns());
    assertArrayEquals(new double[] {1.5, -2, 0.25, 7, 8}, all.values());
    // labels 1, -1, 1 then 1, 0: classes 2, 0, 2, 2, 1 of [-1, 0, 1]
    assertArrayEquals(new int[] {2, 0, 2, 2, 1}, all.labels());
    assertEquals(0, all.largestIndexLine());
    assertSame(b, SparseDataset.concatenate(java.util.List.of(b)));
    assertArrayEquals(new int[] {1, 0, 1}, small().labels(), "the parts are unchanged");
  }

  @Test
  void concatenateNeedsAPart() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SparseDataset.concatenate(java.util.List.of()));
    assertEquals("parts must hold at least one dataset, but was: []", e.getMessage());
  }

  @Test
  void equalityComparesEveryArray() {
    assertEquals(small(), small());
    assertEquals(small().hashCode(), small().hashCode());
    SparseDataset otherValue = SparseDataset.of(4, new int[] {-1, 1}, new int[] {0, 2, 2, 3},
        new int[] {0, 3, 1}, new double[] {1.5, -2, 0.5}, new int[] {1, 0, 1});
    assertNotEquals(small(), otherValue);
    assertNotEquals(small(), small().withNumFeatures(5));
  }
}
