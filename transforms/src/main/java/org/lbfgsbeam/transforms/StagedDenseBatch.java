package org.lbfgsbeam.transforms;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ConcurrentHashMap;
import org.lbfgsbeam.core.nn.DenseBatch;

/**
 * A {@link DenseBatch} written to a file (in {@link DenseBatchCoder}'s encoding) for the workers of a
 * stochastic training run (the Flink job's TaskManagers, the Beam pipelines' workers) to read, read
 * at most once per JVM: the batch is kept in a JVM-wide cache under its path. The driver registers
 * the batch it wrote, so an embedded mini-cluster or a DirectRunner (which run in the driver's JVM)
 * holds one copy and reads nothing; for such a run the driver need not write it at all
 * ({@link #register}).
 */
public final class StagedDenseBatch {
  private static final ConcurrentHashMap<String, DenseBatch> CACHE = new ConcurrentHashMap<>();

  private StagedDenseBatch() {}

  /** Writes {@code batch} to {@code file} (atomically) and registers it; returns the path. */
  public static String write(Path file, DenseBatch batch) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
      DenseBatchCoder.of().encode(batch, out);
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    String path = file.toAbsolutePath().toString();
    CACHE.put(path, batch);
    return path;
  }

  /**
   * Registers {@code batch} under {@code path} in this JVM only, without writing it: for a job on an
   * embedded mini-cluster or a DirectRunner, whose tasks run in this JVM. Returns the path.
   */
  public static String register(Path file, DenseBatch batch) {
    String path = file.toAbsolutePath().toString();
    CACHE.put(path, batch);
    return path;
  }

  /** The batch staged at {@code path}: from this JVM's cache, or read once. */
  public static DenseBatch read(String path) {
    return CACHE.computeIfAbsent(path, p -> {
      try (InputStream in = new BufferedInputStream(Files.newInputStream(Paths.get(p)), 1 << 16)) {
        return DenseBatchCoder.of().decode(in);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the staged batch " + p, e);
      }
    });
  }

  /** Forgets the batch staged at {@code path} in this JVM (the driver, once the job has ended). */
  public static void release(String path) {
    CACHE.remove(path);
  }
}
