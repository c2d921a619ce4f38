package org.lbfgsbeam.core.data;

import org.lbfgsbeam.core.testing.SharedData;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DatasetFileTest {
  /** N = 3, D = 5, K = 3 (class 7 unused), nnz = 3, with an empty row. */
  private static SparseDataset small() {
    return SparseDataset.of(5, new int[] {-2, 4, 7}, new int[] {0, 2, 2, 3},
        new int[] {0, 4, 2}, new double[] {1.5, -0.0, 1e-300}, new int[] {1, 0, 1});
  }

  private static byte[] bytes(SparseDataset ds) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DatasetFile.write(ds, out);
    return out.toByteArray();
  }

  private static long expectedLength(SparseDataset ds) {
    return 36L + 4L * ds.numClasses() + 12L * ds.numExamples() + 12L * ds.nnz();
  }

  @Test
  void roundTripPreservesEveryArray() throws IOException {
    SparseDataset ds = small();
    byte[] file = bytes(ds);
    assertEquals(expectedLength(ds), file.length);
    SparseDataset back = DatasetFile.read(new ByteArrayInputStream(file));
    assertEquals(5, back.numFeatures());
    assertArrayEquals(ds.classLabels(), back.classLabels());
    assertArrayEquals(ds.rowOffsets(), back.rowOffsets());
    assertArrayEquals(ds.columns(), back.columns());
    assertArrayEquals(ds.values(), back.values());
    assertArrayEquals(ds.labels(), back.labels());
    assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(back.values()[1]));
  }

  @Test
  void layoutIsTheDocumentedLittleEndianTable() throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes(small())).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[8];
    b.get(magic);
    assertEquals("LBFGSDS1", new String(magic, StandardCharsets.US_ASCII));
    assertEquals(3, b.getInt()); // N
    assertEquals(5, b.getInt()); // D
    assertEquals(3, b.getInt()); // K
    assertEquals(3L, b.getLong()); // nnz
    assertArrayEquals(new int[] {-2, 4, 7}, new int[] {b.getInt(), b.getInt(), b.getInt()});
    assertArrayEquals(new long[] {0, 2, 2, 3},
        new long[] {b.getLong(), b.getLong(), b.getLong(), b.getLong()});
    assertArrayEquals(new int[] {0, 4, 2}, new int[] {b.getInt(), b.getInt(), b.getInt()});
    assertArrayEquals(new double[] {1.5, -0.0, 1e-300},
        new double[] {b.getDouble(), b.getDouble(), b.getDouble()});
    assertArrayEquals(new int[] {1, 0, 1}, new int[] {b.getInt(), b.getInt(), b.getInt()});
    assertEquals(0, b.remaining());
  }

  @Test
  void roundTripOfALargeRandomSetSpanningManyChunks() throws IOException {
    Random random = new Random(7);
    int n = 3000;
    int d = 100_000;
    int[] rowOffsets = new int[n + 1];
    for (int i = 0; i < n; i++) {
      rowOffsets[i + 1] = rowOffsets[i] + random.nextInt(60);
    }
    int nnz = rowOffsets[n];
    int[] columns = new int[nnz];
    double[] values = new double[nnz];
    for (int i = 0; i < n; i++) {
      int[] row = random.ints(0, d).distinct().limit(rowOffsets[i + 1] - rowOffsets[i]).sorted()
          .toArray();
      System.arraycopy(row, 0, columns, rowOffsets[i], row.length);
    }
    for (int k = 0; k < nnz; k++) {
      values[k] = random.nextGaussian();
    }
    int[] classLabels = IntStream.range(0, 40_000).map(c -> 3 * c - 5).toArray();
    int[] labels = random.ints(n, 0, classLabels.length).toArray();
    SparseDataset ds = SparseDataset.of(d, classLabels, rowOffsets, columns, values, labels);
    byte[] file = bytes(ds);
    assertEquals(expectedLength(ds), file.length);
    assertEquals(ds, DatasetFile.read(new ByteArrayInputStream(file)));
  }

  @Test
  void readConsumesExactlyOneDataset() throws IOException {
    SparseDataset a = small();
    SparseDataset b = small().withNumFeatures(9);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DatasetFile.write(a, out);
    DatasetFile.write(b, out);
    out.write(42);
    InputStream in = new ByteArrayInputStream(out.toByteArray());
    assertEquals(a, DatasetFile.read(in));
    assertEquals(b, DatasetFile.read(in));
    assertEquals(42, in.read());
  }

  @Test
  void fixtureRoundTrips() throws IOException {
    SparseDataset ds = LibsvmReader.read(SharedData.file("synth-small.libsvm"));
    byte[] file = bytes(ds);
    assertEquals(expectedLength(ds), file.length);
    assertEquals(ds, DatasetFile.read(new ByteArrayInputStream(file)));
  }

  /** Cut points in the small file: empty, mid-magic, mid-header, each array, one byte short. */
  @ParameterizedTest
  @ValueSource(ints = {0, 5, 27, 28, 30, 45, 60, 80, 100, 119})
  void truncatedFileIsAnError(int length) throws IOException {
    byte[] file = bytes(small());
    assertEquals(120, file.length);
    byte[] cut = Arrays.copyOf(file, length);
    IOException e = assertThrows(IOException.class,
        () -> DatasetFile.read(new ByteArrayInputStream(cut)));
    assertTrue(e.getMessage().startsWith("truncated dataset file: end of stream while reading "),
        e.getMessage());
  }

  @Test
  void wrongMagicIsAnError() throws IOException {
    byte[] file = bytes(small());
    file[7] = '2';
    IOException e = assertThrows(IOException.class,
        () -> DatasetFile.read(new ByteArrayInputStream(file)));
    assertEquals("not a dataset file: magic number is 0x4c42464753445332, expected \"LBFGSDS1\"",
        e.getMessage());
  }

  @Test
  void corruptHeaderIsAnError() throws IOException {
    byte[] file = bytes(small());
    ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putInt(8, -4);
    IOException e = assertThrows(IOException.class,
        () -> DatasetFile.read(new ByteArrayInputStream(file)));
    assertEquals("corrupt dataset file: header field N is out of range, was: -4", e.getMessage());
  }

  @Test
  void hugeHeaderOnAShortFileIsTruncatedNotOutOfMemory() throws IOException {
    byte[] file = bytes(small());
    ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putLong(20, Integer.MAX_VALUE - 8);
    ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putInt(16, Integer.MAX_VALUE);
    IOException e = assertThrows(IOException.class,
        () -> DatasetFile.read(new ByteArrayInputStream(file)));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void corruptArraysAreAnError() throws IOException {
    byte[] file = bytes(small());
    // columns start at 36 + 4K + 8N = 72; make the first column 5, which is not below D = 5.
    ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putInt(72, 5);
    IOException e = assertThrows(IOException.class,
        () -> DatasetFile.read(new ByteArrayInputStream(file)));
    assertTrue(e.getMessage().startsWith("corrupt dataset file: columns[0] (row 0)"),
        e.getMessage());

    byte[] offsets = bytes(small());
    ByteBuffer.wrap(offsets).order(ByteOrder.LITTLE_ENDIAN).putLong(48, 1L << 40);
    IOException o = assertThrows(IOException.class,
        () -> DatasetFile.read(new ByteArrayInputStream(offsets)));
    assertEquals("corrupt dataset file: rowOffsets[1] must be in [0, nnz = 3], but was: "
        + (1L << 40), o.getMessage());
  }
}
