package org.lbfgsbeam.transforms;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * Blocks of distributed vectors stored between supersteps through Beam's {@link FileSystems} (local
 * disk, HDFS, GCS, S3: whatever the pipeline's options register), one file per (vector, node):
 * {@code <dir>/<vector>/block-<node>.bin}.
 *
 * <table>
 *   <caption>Block file format (little-endian)</caption>
 *   <tr><th>bytes</th><th>content</th></tr>
 *   <tr><td>8</td><td>magic {@code LBFGSBK1}</td></tr>
 *   <tr><td>8</td><td>int64 n, the number of entries</td></tr>
 *   <tr><td>8n</td><td>float64 entries</td></tr>
 * </table>
 * A block is written to a temporary name and renamed, so a reader never sees half a block; vectors are
 * never rewritten under the same name (every version has its own id), which makes a killed run
 * resumable.
 */
public final class BlockFiles {
  private static final byte[] MAGIC = "LBFGSBK1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final int CHUNK = 8192;

  private BlockFiles() {}

  /** The file of {@code vector}'s block {@code node} under {@code dir}. */
  public static ResourceId blockFile(String dir, String vector, int node) {
    return directory(dir, vector).resolve(String.format("block-%05d.bin", node),
        StandardResolveOptions.RESOLVE_FILE);
  }

  /** The directory of {@code vector} under {@code dir}. */
  public static ResourceId directory(String dir, String vector) {
    return FileSystems.matchNewResource(dir, true)
        .resolve(vector, StandardResolveOptions.RESOLVE_DIRECTORY);
  }

  /** Writes a block atomically (temporary file, then rename). */
  public static void write(String dir, String vector, int node, double[] block) throws IOException {
    ResourceId target = blockFile(dir, vector, node);
    ResourceId temp = directory(dir, vector).resolve(
        String.format(".block-%05d.bin.tmp-%s", node, java.util.UUID.randomUUID()),
        StandardResolveOptions.RESOLVE_FILE);
    try (OutputStream out = new BufferedOutputStream(
        Channels.newOutputStream(FileSystems.create(temp, "application/octet-stream")), 1 << 16)) {
      write(block, out);
    }
    FileSystems.rename(Collections.singletonList(temp), Collections.singletonList(target),
        MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
  }

  /** Reads a block; fails naming the file when it is missing, truncated or not a block file. */
  public static double[] read(String dir, String vector, int node) throws IOException {
    ResourceId file = blockFile(dir, vector, node);
    try (InputStream in = new BufferedInputStream(Channels.newInputStream(FileSystems.open(file)),
        1 << 16)) {
      return read(in, file.toString());
    } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
      throw new IOException("missing block file " + file, e);
    }
  }

  /** Deletes a vector's directory and blocks (missing files are ignored). */
  public static void delete(String dir, String vector) throws IOException {
    ResourceId directory = directory(dir, vector);
    MatchResult match = FileSystems.match(directory.toString() + "*");
    List<ResourceId> files = new java.util.ArrayList<>();
    if (match.status() == MatchResult.Status.OK) {
      for (MatchResult.Metadata m : match.metadata()) {
        files.add(m.resourceId());
      }
    }
    FileSystems.delete(files, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    java.nio.file.Path local = localPath(directory);
    if (local != null) {
      try (var stream = java.nio.file.Files.list(local)) {
        for (java.nio.file.Path p : (Iterable<java.nio.file.Path>) stream::iterator) {
          java.nio.file.Files.deleteIfExists(p);
        }
      } catch (java.nio.file.NoSuchFileException ignored) {
        return;
      }
      java.nio.file.Files.deleteIfExists(local);
    }
  }

  private static java.nio.file.Path localPath(ResourceId id) {
    if (!"file".equals(id.getScheme())) {
      return null;
    }
    String s = id.toString();
    return java.nio.file.Paths.get(s.startsWith("file:") ? java.net.URI.create(s).getPath() : s);
  }

  static void write(double[] block, OutputStream out) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    header.put(MAGIC).putLong(block.length);
    out.write(header.array());
    ByteBuffer buffer = ByteBuffer.allocate(Math.min(Math.max(block.length, 1), CHUNK) * 8)
        .order(ByteOrder.LITTLE_ENDIAN);
    for (int from = 0; from < block.length; from += CHUNK) {
      int n = Math.min(CHUNK, block.length - from);
      buffer.clear();
      buffer.asDoubleBuffer().put(block, from, n);
      out.write(buffer.array(), 0, n * 8);
    }
  }

  static double[] read(InputStream in, String name) throws IOException {
    DataInputStream data = new DataInputStream(in);
    byte[] header = new byte[16];
    try {
      data.readFully(header);
    } catch (java.io.EOFException e) {
      throw new IOException("truncated block file " + name + ": no header", e);
    }
    ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[8];
    h.get(magic);
    if (!java.util.Arrays.equals(magic, MAGIC)) {
      throw new IOException("not a block file: " + name);
    }
    long n = h.getLong();
    if (n < 0 || n > Integer.MAX_VALUE - 8) {
      throw new IOException("corrupt block file " + name + ": length " + n);
    }
    // Grow while reading, so a corrupt length fails as truncation, not as an OutOfMemoryError.
    double[] block = new double[(int) Math.min(n, 1 << 20)];
    byte[] bytes = new byte[Math.min(Math.max((int) n, 1), CHUNK) * 8];
    for (int from = 0; from < n; from += CHUNK) {
      int k = (int) Math.min(CHUNK, n - from);
      if (from + k > block.length) {
        block = java.util.Arrays.copyOf(block, (int) Math.min(n, 2L * block.length));
      }
      try {
        data.readFully(bytes, 0, k * 8);
      } catch (java.io.EOFException e) {
        throw new IOException("truncated block file " + name + ": " + from + " of " + n
            + " entries", e);
      }
      ByteBuffer.wrap(bytes, 0, k * 8).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer()
          .get(block, from, k);
    }
    return block;
  }
}
