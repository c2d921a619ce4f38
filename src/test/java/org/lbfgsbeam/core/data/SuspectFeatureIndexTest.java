package org.lbfgsbeam.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class SuspectFeatureIndexTest {
  private static SparseDataset parse(String text) throws IOException {
    return LibsvmReader.read("f.libsvm", new StringReader(text));
  }

  @Test
  void oneIndexFarBeyondTheOthersIsSuspect() throws IOException {
    SuspectFeatureIndex s = SuspectFeatureIndex.of(parse("1 2000000000:1\n"));
    assertEquals(new SuspectFeatureIndex(2_000_000_000, 1, 1), s);
    assertEquals("feature index 2000000000 on line 1 of f.libsvm is 2.0e9 times the 1 distinct"
        + " feature used: a hashing or export error?", s.message("f.libsvm"));
    SuspectFeatureIndex three = SuspectFeatureIndex.of(parse(
        "# exported\n1 1:1\n2 2:1 7:1\n3 50000000:1\n"));
    assertEquals(new SuspectFeatureIndex(50_000_000, 4, 4), three);
    assertEquals("feature index 50000000 on line 4 of x is 1.3e7 times the 4 distinct features"
        + " used: a hashing or export error?", three.message("x"));
  }

  @Test
  void largeButWellUsedOrSmallIndexSpacesAreNot() throws IOException {
    // At most 10^6: never suspect, however few features are used.
    assertNull(SuspectFeatureIndex.of(parse("1 1000000:1\n")));
    // Just above 10^6 with 1,001 distinct features: 1,000,001 <= 1000 x 1,001.
    StringBuilder sb = new StringBuilder("1");
    for (int j = 1; j <= 1000; j++) {
      sb.append(' ').append(j).append(":1");
    }
    sb.append(" 1000001:1\n");
    assertNull(SuspectFeatureIndex.of(parse(sb.toString())));
    assertNotNull(SuspectFeatureIndex.of(parse("1 1:1 1000001:1\n"))); // 500,000 times
  }

  @Test
  void aSetBuiltFromArraysHasNoLine() {
    SparseDataset ds = SparseDataset.of(5_000_000, new int[] {0}, new int[] {0, 1}, new int[] {4},
        new double[] {1}, new int[] {0});
    SuspectFeatureIndex s = SuspectFeatureIndex.of(ds);
    assertEquals(0, s.line());
    assertEquals("feature index 5000000 of y is 5.0e6 times the 1 distinct feature used: a hashing"
        + " or export error?", s.message("y"));
  }

  @Test
  void ratiosPrintShort() {
    assertEquals("1,234", SuspectFeatureIndex.times(1234.4));
    assertEquals("2.5e7", SuspectFeatureIndex.times(2.5e7));
    assertEquals("1.0e8", SuspectFeatureIndex.times(9.96e7));
    assertEquals("1.0e4", SuspectFeatureIndex.times(1e4));
  }

  @Test
  void distinctFeaturesByBitSetAndBySort() {
    // D/8 <= 4 nnz: a bit set; D/8 > 4 nnz: a sorted copy. Both count columns used at least once.
    SparseDataset dense = SparseDataset.of(10, new int[] {0}, new int[] {0, 3, 5},
        new int[] {0, 4, 9, 4, 9}, new double[] {1, 1, 1, 1, 1}, new int[] {0, 0});
    assertEquals(3, dense.distinctFeatures());
    SparseDataset sparse = SparseDataset.of(1_000_000_000, new int[] {0}, new int[] {0, 3, 5},
        new int[] {0, 4, 999_999_999, 4, 999_999_999}, new double[] {1, 1, 1, 1, 1},
        new int[] {0, 0});
    assertEquals(3, sparse.distinctFeatures());
    assertEquals(0, SparseDataset.of(3, new int[] {0}, new int[] {0, 0}, new int[0],
        new double[0], new int[] {0}).distinctFeatures());
  }
}
