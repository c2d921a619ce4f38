package org.lbfgsbeam.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.lbfgsbeam.core.data.SparseDataset;

/** {@link DenseBatch}: factories, their errors, and cutting a sparse dataset into batches. */
class DenseBatchTest {

  /**
   * 7 examples, 4 features, classes {3, 5, 9}:
   * row i has feature (i mod 4) = i + 1 and, for odd i, feature 3 = &minus;i; label i mod 3.
   */
  private static SparseDataset sevenRows() {
    int n = 7;
    int[] offsets = new int[n + 1];
    int[] columns = new int[11];
    double[] values = new double[11];
    int[] labels = new int[n];
    int p = 0;
    for (int i = 0; i < n; i++) {
      columns[p] = i % 4;
      values[p++] = i + 1;
      if (i % 2 == 1 && i % 4 != 3) {
        columns[p] = 3;
        values[p++] = -i;
      }
      offsets[i + 1] = p;
      labels[i] = i % 3;
    }
    return SparseDataset.of(4, new int[] {3, 5, 9}, offsets, java.util.Arrays.copyOf(columns, p),
        java.util.Arrays.copyOf(values, p), labels);
  }

  private static double dense(int i, int j) {
    double v = j == i % 4 ? i + 1 : 0;
    if (i % 2 == 1 && i % 4 != 3 && j == 3) {
      v = -i;
    }
    return v;
  }

  @Test
  void fromDatasetCutsBatchesInOrder() {
    SparseDataset data = sevenRows();
    List<DenseBatch> batches = DenseBatch.fromDataset(data, 3);
    assertEquals(3, batches.size());
    int[] sizes = {3, 3, 1};
    int row = 0;
    for (int b = 0; b < 3; b++) {
      DenseBatch batch = batches.get(b);
      assertEquals(sizes[b], batch.rows());
      assertEquals(4, batch.features());
      assertTrue(batch.hasLabels());
      for (int r = 0; r < batch.rows(); r++, row++) {
        assertEquals(row % 3, batch.labels()[r], "label of row " + row);
        for (int j = 0; j < 4; j++) {
          assertEquals(dense(row, j), batch.x()[r * 4 + j], 0.0, "row " + row + " feature " + j);
        }
      }
    }
    assertEquals(7, row);
  }

  @Test
  void fromDatasetEdgeSizes() {
    SparseDataset data = sevenRows();
    assertEquals(1, DenseBatch.fromDataset(data, 7).size());
    assertEquals(1, DenseBatch.fromDataset(data, 100).size());
    assertEquals(7, DenseBatch.fromDataset(data, 100).get(0).rows());
    assertEquals(7, DenseBatch.fromDataset(data, 1).size());
    SparseDataset empty = SparseDataset.of(4, new int[] {0, 1}, new int[] {0}, new int[0],
        new double[0], new int[0]);
    assertTrue(DenseBatch.fromDataset(empty, 5).isEmpty());
    assertEquals("batchSize must be positive, but was: 0",
        message(() -> DenseBatch.fromDataset(data, 0)));
  }

  @Test
  void factoriesTakeTheirArrays() {
    double[] x = {1, 2, 3, 4, 5, 6};
    int[] labels = {0, 2};
    DenseBatch c = DenseBatch.classification(3, x, labels);
    assertEquals(2, c.rows());
    assertSame(x, c.x());
    assertSame(labels, c.labels());
    assertEquals(0, c.outputs());
    assertEquals("this batch has class labels, not real targets",
        assertThrows(IllegalStateException.class, c::targets).getMessage());

    double[] t = {1, 2, 3, 4};
    DenseBatch r = DenseBatch.regression(3, x, 2, t);
    assertEquals(2, r.rows());
    assertEquals(2, r.outputs());
    assertFalse(r.hasLabels());
    assertArrayEquals(t, r.targets(), 0.0);
    assertEquals("this batch has real targets, not class labels",
        assertThrows(IllegalStateException.class, r::labels).getMessage());
    assertEquals("DenseBatch{rows=2, features=3, outputs=2}", r.toString());
  }

  @Test
  void factoryErrorsNameTheBadValue() {
    assertEquals("a batch needs at least one row, but had: 0",
        message(() -> DenseBatch.classification(3, new double[0], new int[0])));
    assertEquals("features must be positive, but was: 0",
        message(() -> DenseBatch.classification(0, new double[0], new int[1])));
    assertEquals("x must hold rows x features = 2 x 3 = 6 values, but had: 5",
        message(() -> DenseBatch.classification(3, new double[5], new int[2])));
    assertEquals("labels[1] must be a class index >= 0, but was: -1",
        message(() -> DenseBatch.classification(3, new double[6], new int[] {0, -1})));
    assertEquals("feature values must be finite, but x[4] (row 1, feature 1) was: NaN",
        message(() -> DenseBatch.classification(3, new double[] {0, 0, 0, 0, Double.NaN, 0},
            new int[2])));
    assertEquals("targets must hold rows x outputs = rows x 2 values, but had: 3",
        message(() -> DenseBatch.regression(3, new double[6], 2, new double[3])));
    assertEquals("targets must be finite, but targets[3] (row 1, output 1) was: -Infinity",
        message(() -> DenseBatch.regression(3, new double[6], 2,
            new double[] {0, 0, 0, Double.NEGATIVE_INFINITY})));
    assertEquals("outputs must be positive, but was: 0",
        message(() -> DenseBatch.regression(3, new double[6], 0, new double[0])));
  }

  private static String message(Executable e) {
    return assertThrows(IllegalArgumentException.class, e).getMessage();
  }
}
