package org.lbfgsbeam.pipelines.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.data.IdxReader;
import org.lbfgsbeam.core.data.InputFormatException;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;

/**
 * Reads LIBSVM shards (each plain or gzipped) in parallel into one set: one thread per shard, at
 * most the available processors, each parsing its shard on its own ({@link
 * LibsvmReader#readShard}), then the shards' sets concatenated in the order given ({@link
 * SparseDataset#concatenate}). Parsing is the cost of reading text (a few hundred MB/s per core,
 * gunzip included), so on a machine with as many cores as shards this is that many times faster
 * than one reader over the concatenated file, and the result is the same set, bit for bit.
 *
 * <p>An error is that of the first failing shard in the order given, whichever thread hit it
 * first, so the same bad input gives the same message every run; it names the shard and the line
 * within it. While the shards are concatenated the memory holds them and the whole set, about
 * twice the set's size at the peak (one reader over one file also grows its arrays by doubling).
 */
final class ShardReader {
  private ShardReader() {}

  /**
   * The examples of {@code shards}, one shard after the other.
   *
   * @param shards LIBSVM files, in the order their examples are to follow each other
   * @throws InputFormatException naming the shard (and line) that breaks the format, is a
   *     damaged gzip, or is IDX (which is one file, not a shard)
   */
  static SparseDataset read(List<Path> shards) throws IOException {
    Checks.checkArgument(shards != null && !shards.isEmpty(),
        "shards must name at least one file, but was: %s", shards);
    int threads = Math.min(shards.size(), Runtime.getRuntime().availableProcessors());
    AtomicInteger started = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "read-shard-" + started.getAndIncrement());
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<SparseDataset>> reads = new ArrayList<>(shards.size());
      for (Path shard : shards) {
        reads.add(pool.submit(() -> readShard(shard)));
      }
      List<SparseDataset> parts = new ArrayList<>(shards.size());
      for (Future<SparseDataset> read : reads) {
        parts.add(get(read, reads));
      }
      return SparseDataset.concatenate(parts);
    } finally {
      pool.shutdownNow();
    }
  }

  /** One shard, naming it in every error. */
  private static SparseDataset readShard(Path shard) throws IOException {
    if (IdxReader.looksLikeIdx(shard)) {
      throw new InputFormatException(shard.toString(), 0, "IDX images among LIBSVM shards: give"
          + " IDX images as one file (--data FILE), not in a directory or pattern of shards");
    }
    try (InputStream in = IdxReader.open(shard);
        Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
      return LibsvmReader.readShard(shard.toString(), reader);
    } catch (java.util.zip.ZipException | java.io.EOFException e) {
      throw DataFiles.damagedGzip(shard, e);
    }
  }

  /** The result of {@code read}, or its failure as thrown; cancels the others on a failure. */
  private static SparseDataset get(Future<SparseDataset> read, List<Future<SparseDataset>> all)
      throws IOException {
    try {
      return read.get();
    } catch (ExecutionException e) {
      all.forEach(f -> f.cancel(true));
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(cause);
    } catch (InterruptedException e) {
      all.forEach(f -> f.cancel(true));
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while reading shards");
    }
  }
}
