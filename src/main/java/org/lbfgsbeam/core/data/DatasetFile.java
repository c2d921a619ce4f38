package org.lbfgsbeam.core.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.lbfgsbeam.core.Checks;

/**
 * A binary file format for a prepared {@link SparseDataset}, so a pipeline parses the LIBSVM text
 * once and each superstep then loads arrays at disk speed. The format is language-neutral: plain
 * little-endian arrays one after another, no padding, no Java serialization; NumPy reads it with
 * {@code np.frombuffer(..., dtype='<i4')} and friends.
 *
 * <table>
 *   <caption>Layout (all integers and floats little-endian)</caption>
 *   <tr><th>offset</th><th>field</th><th>type</th><th>contents</th></tr>
 *   <tr><td>0</td><td>magic</td><td>8 bytes</td><td>ASCII {@code LBFGSDS1}</td></tr>
 *   <tr><td>8</td><td>N</td><td>int32</td><td>number of examples, &ge; 0</td></tr>
 *   <tr><td>12</td><td>D</td><td>int32</td><td>number of features, &ge; 0</td></tr>
 *   <tr><td>16</td><td>K</td><td>int32</td><td>number of classes, &ge; 0</td></tr>
 *   <tr><td>20</td><td>nnz</td><td>int64</td><td>number of nonzeros, &ge; 0</td></tr>
 *   <tr><td>28</td><td>classLabels</td><td>int32[K]</td><td>original labels, strictly
 *       ascending</td></tr>
 *   <tr><td>28 + 4K</td><td>rowOffsets</td><td>int64[N+1]</td><td>0, non-decreasing, ends at
 *       nnz</td></tr>
 *   <tr><td>36 + 4K + 8N</td><td>columns</td><td>int32[nnz]</td><td>0-based feature indices,
 *       strictly ascending within a row, &lt; D</td></tr>
 *   <tr><td>36 + 4K + 8N + 4nnz</td><td>values</td><td>float64[nnz]</td><td>finite</td></tr>
 *   <tr><td>36 + 4K + 8N + 12nnz</td><td>labels</td><td>int32[N]</td><td>class index in
 *       [0, K)</td></tr>
 *   <tr><td>36 + 4K + 12N + 12nnz</td><td colspan="3">end; the total length</td></tr>
 * </table>
 *
 * <p>The arrays mean what they mean in {@link SparseDataset}. Row offsets are 64-bit so that the
 * format outlives this implementation's int-sized arrays; this reader rejects files whose nnz does
 * not fit a Java array (above 2<sup>31</sup> - 9).
 *
 * <p>I/O goes through a fixed 64 KiB {@link ByteBuffer}, a chunk at a time. {@link #read} consumes
 * exactly the bytes of one dataset, so several can follow one another in a stream, and it grows its
 * arrays as bytes actually arrive, so a corrupt header cannot make it allocate gigabytes before it
 * notices that the file is short.
 */
public final class DatasetFile {
  /** The 8-byte magic number, ASCII {@code LBFGSDS1}. */
  private static final byte[] MAGIC = "LBFGSDS1".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER_BYTES = 28;
  private static final int CHUNK_BYTES = 1 << 16;
  private static final int INITIAL_ELEMENTS = 1 << 16;

  private DatasetFile() {}

  /**
   * Writes {@code dataset} to {@code out} in the format of the class comment, then flushes
   * {@code out}; does not close it.
   */
  public static void write(SparseDataset dataset, OutputStream out) throws IOException {
    Checks.checkArgument(dataset != null, "dataset must not be null");
    Checks.checkArgument(out != null, "out must not be null");
    ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(MAGIC);
    buffer.putInt(dataset.numExamples());
    buffer.putInt(dataset.numFeatures());
    buffer.putInt(dataset.numClasses());
    buffer.putLong(dataset.nnz());
    writeInts(dataset.classLabels(), buffer, out);
    writeOffsets(dataset.rowOffsets(), buffer, out);
    writeInts(dataset.columns(), buffer, out);
    writeDoubles(dataset.values(), buffer, out);
    writeInts(dataset.labels(), buffer, out);
    drain(buffer, out);
    out.flush();
  }

  /**
   * Reads one dataset written by {@link #write}, consuming exactly its bytes; does not close
   * {@code in}.
   *
   * @throws IOException if the magic number is wrong, the stream ends early ("truncated"), or the
   *     header or arrays break the format's rules ("corrupt")
   */
  public static SparseDataset read(InputStream in) throws IOException {
    Checks.checkArgument(in != null, "in must not be null");
    byte[] chunk = new byte[CHUNK_BYTES];
    ByteBuffer buffer = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
    fill(in, chunk, HEADER_BYTES, "header");
    byte[] magic = Arrays.copyOf(chunk, MAGIC.length);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new IOException("not a dataset file: magic number is " + describe(magic)
          + ", expected \"LBFGSDS1\"");
    }
    buffer.position(MAGIC.length);
    int n = buffer.getInt();
    int d = buffer.getInt();
    int k = buffer.getInt();
    long nnz = buffer.getLong();
    checkHeader(n >= 0 && n < Integer.MAX_VALUE, "N", n);
    checkHeader(d >= 0, "D", d);
    checkHeader(k >= 0, "K", k);
    checkHeader(nnz >= 0 && nnz <= Integer.MAX_VALUE - 8, "nnz", nnz);

    int[] classLabels = readInts(in, chunk, buffer, k, "classLabels");
    int[] rowOffsets = readOffsets(in, chunk, buffer, n + 1, (int) nnz);
    int[] columns = readInts(in, chunk, buffer, (int) nnz, "columns");
    double[] values = readDoubles(in, chunk, buffer, (int) nnz);
    int[] labels = readInts(in, chunk, buffer, n, "labels");
    try {
      return new SparseDataset(d, classLabels, rowOffsets, columns, values, labels);
    } catch (IllegalArgumentException e) {
      throw new IOException("corrupt dataset file: " + e.getMessage(), e);
    }
  }

  private static void writeInts(int[] a, ByteBuffer buffer, OutputStream out) throws IOException {
    int done = 0;
    while (done < a.length) {
      if (buffer.remaining() < Integer.BYTES) {
        drain(buffer, out);
      }
      int count = Math.min(a.length - done, buffer.remaining() / Integer.BYTES);
      buffer.asIntBuffer().put(a, done, count);
      buffer.position(buffer.position() + count * Integer.BYTES);
      done += count;
    }
  }

  private static void writeDoubles(double[] a, ByteBuffer buffer, OutputStream out)
      throws IOException {
    int done = 0;
    while (done < a.length) {
      if (buffer.remaining() < Double.BYTES) {
        drain(buffer, out);
      }
      int count = Math.min(a.length - done, buffer.remaining() / Double.BYTES);
      buffer.asDoubleBuffer().put(a, done, count);
      buffer.position(buffer.position() + count * Double.BYTES);
      done += count;
    }
  }

  /** Writes int offsets widened to int64. */
  private static void writeOffsets(int[] a, ByteBuffer buffer, OutputStream out)
      throws IOException {
    for (int offset : a) {
      if (buffer.remaining() < Long.BYTES) {
        drain(buffer, out);
      }
      buffer.putLong(offset);
    }
  }

  private static void drain(ByteBuffer buffer, OutputStream out) throws IOException {
    out.write(buffer.array(), 0, buffer.position());
    buffer.clear();
  }

  private static int[] readInts(InputStream in, byte[] chunk, ByteBuffer buffer, int count,
      String name) throws IOException {
    int[] a = new int[Math.min(count, INITIAL_ELEMENTS)];
    int done = 0;
    while (done < count) {
      int elements = Math.min(count - done, CHUNK_BYTES / Integer.BYTES);
      fill(in, chunk, elements * Integer.BYTES, name);
      a = ensureCapacity(a, done + elements, count);
      buffer.clear();
      buffer.asIntBuffer().get(a, done, elements);
      done += elements;
    }
    return a;
  }

  private static double[] readDoubles(InputStream in, byte[] chunk, ByteBuffer buffer, int count)
      throws IOException {
    double[] a = new double[Math.min(count, INITIAL_ELEMENTS)];
    int done = 0;
    while (done < count) {
      int elements = Math.min(count - done, CHUNK_BYTES / Double.BYTES);
      fill(in, chunk, elements * Double.BYTES, "values");
      if (done + elements > a.length) {
        a = Arrays.copyOf(a, (int) Math.min(count, Math.max(2L * a.length, done + elements)));
      }
      buffer.clear();
      buffer.asDoubleBuffer().get(a, done, elements);
      done += elements;
    }
    return a;
  }

  /** Reads int64 row offsets, each of which must lie in [0, nnz], into an int array. */
  private static int[] readOffsets(InputStream in, byte[] chunk, ByteBuffer buffer, int count,
      int nnz) throws IOException {
    int[] a = new int[Math.min(count, INITIAL_ELEMENTS)];
    int done = 0;
    while (done < count) {
      int elements = Math.min(count - done, CHUNK_BYTES / Long.BYTES);
      fill(in, chunk, elements * Long.BYTES, "rowOffsets");
      a = ensureCapacity(a, done + elements, count);
      buffer.clear();
      for (int i = 0; i < elements; i++) {
        long offset = buffer.getLong();
        if (offset < 0 || offset > nnz) {
          throw new IOException(String.format(
              "corrupt dataset file: rowOffsets[%d] must be in [0, nnz = %d], but was: %d",
              done + i, nnz, offset));
        }
        a[done + i] = (int) offset;
      }
      done += elements;
    }
    return a;
  }

  private static int[] ensureCapacity(int[] a, int needed, int count) {
    if (needed <= a.length) {
      return a;
    }
    return Arrays.copyOf(a, (int) Math.min(count, Math.max(2L * a.length, needed)));
  }

  /** Reads exactly {@code length} bytes into chunk[0, length), or fails as truncated. */
  private static void fill(InputStream in, byte[] chunk, int length, String section)
      throws IOException {
    int got = in.readNBytes(chunk, 0, length);
    if (got < length) {
      throw new IOException(String.format(
          "truncated dataset file: end of stream while reading %s (needed %d more bytes, got %d)",
          section, length, got));
    }
  }

  private static void checkHeader(boolean ok, String field, long value) throws IOException {
    if (!ok) {
      throw new IOException("corrupt dataset file: header field " + field
          + " is out of range, was: " + value);
    }
  }

  private static String describe(byte[] bytes) {
    StringBuilder s = new StringBuilder("0x");
    for (byte b : bytes) {
      s.append(String.format("%02x", b & 0xff));
    }
    return s.toString();
  }
}
