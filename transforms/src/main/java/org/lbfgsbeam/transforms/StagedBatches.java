package org.lbfgsbeam.transforms;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.batch.BatchSum;

/**
 * The batches of a data-parallel run where the distributed runners keep them: S shard files under a
 * directory on any Beam FileSystem, shard s holding batches [&lfloor;sB/S&rfloor;, &lfloor;(s+1)B/S&rfloor;)
 * in batch order ({@link BatchSum#shards}), each batch in the user's {@link Coder}. A worker reads the
 * shards once per JVM ({@link ObjectiveCache}) and keeps them for every evaluation.
 *
 * <p>Written from a list in memory ({@link #write}) or by a Beam pipeline from a
 * {@code PCollection<KV<Long, B>>} of indexed batches ({@link StageBatches}).
 *
 * <table>
 *   <caption>Shard file {@code batches-SSSSS-of-TTTTT.bin}</caption>
 *   <tr><th>bytes</th><th>content</th></tr>
 *   <tr><td>8</td><td>magic {@code LBFGSBT1}</td></tr>
 *   <tr><td>8 + 8</td><td>int64 first batch index, int64 number of batches (big-endian)</td></tr>
 *   <tr><td>per batch</td><td>int64 its index, then the batch in the coder's nested encoding</td></tr>
 * </table>
 *
 * @param <B> the batch type
 */
public final class StagedBatches<B> implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final byte[] MAGIC = "LBFGSBT1".getBytes(StandardCharsets.US_ASCII);

  private final String directory;
  private final int shards;
  private final long batchCount;
  private final Coder<B> coder;

  private StagedBatches(String directory, int shards, long batchCount, Coder<B> coder) {
    this.directory = directory;
    this.shards = shards;
    this.batchCount = batchCount;
    this.coder = coder;
  }

  /** Batches already staged under {@code directory} as {@code shards} shards of {@code batchCount}. */
  public static <B> StagedBatches<B> at(String directory, int shards, long batchCount,
      Coder<B> coder) {
    Checks.checkArgument(directory != null && !directory.isEmpty(), "directory must be set");
    Checks.checkArgument(batchCount >= 1, "there must be at least one batch, but were: %s",
        batchCount);
    Checks.checkArgument(shards >= 1 && shards <= batchCount,
        "shards must be in [1, %s] (the number of batches), but was: %s", batchCount, shards);
    Checks.checkArgument(coder != null, "coder must not be null");
    return new StagedBatches<>(directory, shards, batchCount, coder);
  }

  /** Writes {@code batches} (in this order) as {@code shards} shard files under {@code directory}. */
  public static <B> StagedBatches<B> write(List<B> batches, Coder<B> coder, String directory,
      int shards) throws IOException {
    StagedBatches<B> staged = at(directory, shards, batches.size(), coder);
    List<List<B>> cut = BatchSum.shards(batches, shards);
    for (int s = 0; s < shards; s++) {
      long first = staged.firstBatch(s);
      List<Long> indices = new ArrayList<>();
      for (int i = 0; i < cut.get(s).size(); i++) {
        indices.add(first + i);
      }
      staged.writeShard(s, indices, cut.get(s));
    }
    return staged;
  }

  public String directory() {
    return directory;
  }

  public int shards() {
    return shards;
  }

  public long batchCount() {
    return batchCount;
  }

  public Coder<B> coder() {
    return coder;
  }

  /** The first batch index of shard {@code s}. */
  public long firstBatch(int s) {
    return s * batchCount / shards;
  }

  /** The number of batches of shard {@code s}. */
  public int shardSize(int s) {
    return (int) ((s + 1) * batchCount / shards - firstBatch(s));
  }

  /** The file of shard {@code s}. */
  public ResourceId shardFile(int s) {
    return FileSystems.matchNewResource(directory, true).resolve(
        String.format("batches-%05d-of-%05d.bin", s, shards), StandardResolveOptions.RESOLVE_FILE);
  }

  /**
   * Writes shard {@code s} atomically (a temporary file, then a rename) from its batches and their
   * indices, which must be exactly the shard's indices in increasing order.
   */
  public void writeShard(int s, List<Long> indices, List<B> batches) throws IOException {
    Checks.checkArgument(s >= 0 && s < shards, "shard must be in [0, %s), but was: %s", shards, s);
    long first = firstBatch(s);
    int size = shardSize(s);
    Checks.checkArgument(indices.size() == size && batches.size() == size,
        "shard %s of %s batches in %s shards holds batches [%s, %s), but %s were given", s,
        batchCount, shards, first, first + size, indices.size());
    for (int i = 0; i < size; i++) {
      Checks.checkArgument(indices.get(i) == first + i, "shard %s expects batch %s at position %s,"
          + " but got batch %s (batch indices must be 0..%s, each once)", s, first + i, i,
          indices.get(i), batchCount - 1);
    }
    ResourceId target = shardFile(s);
    ResourceId temp = FileSystems.matchNewResource(directory, true).resolve(
        String.format(".batches-%05d.tmp-%s", s, java.util.UUID.randomUUID()),
        StandardResolveOptions.RESOLVE_FILE);
    try (OutputStream raw = new BufferedOutputStream(
        Channels.newOutputStream(FileSystems.create(temp, "application/octet-stream")), 1 << 16)) {
      DataOutputStream out = new DataOutputStream(raw);
      out.write(MAGIC);
      out.writeLong(first);
      out.writeLong(size);
      for (int i = 0; i < size; i++) {
        out.writeLong(indices.get(i));
        coder.encode(batches.get(i), out);
      }
      out.flush();
    }
    FileSystems.rename(Collections.singletonList(temp), Collections.singletonList(target),
        MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
  }

  /** The batches of shard {@code s}, in order; fails naming the file when it is missing or broken. */
  public List<B> readShard(int s) throws IOException {
    ResourceId file = shardFile(s);
    try (InputStream raw = new BufferedInputStream(Channels.newInputStream(FileSystems.open(file)),
        1 << 16)) {
      DataInputStream in = new DataInputStream(raw);
      byte[] magic = new byte[MAGIC.length];
      in.readFully(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new IOException(file + ": not a batches file");
      }
      long first = in.readLong();
      long size = in.readLong();
      if (first != firstBatch(s) || size != shardSize(s)) {
        throw new IOException(file + ": holds batches [" + first + ", " + (first + size)
            + "), expected [" + firstBatch(s) + ", " + (firstBatch(s) + shardSize(s)) + ")");
      }
      List<B> out = new ArrayList<>((int) size);
      for (long i = 0; i < size; i++) {
        long index = in.readLong();
        if (index != first + i) {
          throw new IOException(file + ": batch " + index + " where " + (first + i) + " belongs");
        }
        out.add(coder.decode(in));
      }
      return out;
    } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
      throw new IOException("missing batches file " + file + " (shard " + s + " of " + shards
          + ")", e);
    } catch (java.io.EOFException e) {
      throw new IOException(file + ": truncated", e);
    }
  }

  /** Every batch in order (shard after shard). */
  public List<B> readAll() throws IOException {
    List<B> out = new ArrayList<>();
    for (int s = 0; s < shards; s++) {
      out.addAll(readShard(s));
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StagedBatches<?> other && directory.equals(other.directory)
        && shards == other.shards && batchCount == other.batchCount
        && coder.equals(other.coder);
  }

  @Override
  public int hashCode() {
    return directory.hashCode() * 31 + shards;
  }

  @Override
  public String toString() {
    return "StagedBatches{" + directory + ", " + batchCount + " batches in " + shards + " shards}";
  }
}
