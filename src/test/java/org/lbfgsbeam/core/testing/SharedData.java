package org.lbfgsbeam.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Locates the fixture sets of {@code ../shared/data} (REFERENCE.md) for tests. */
public final class SharedData {
  private SharedData() {}

  /** The shared data directory; fails loudly when it is missing. */
  public static Path dir() {
    String property = System.getProperty("lbfgs.shared.data");
    if (property != null && Files.isDirectory(Paths.get(property))) {
      return Paths.get(property);
    }
    Path p = Paths.get("").toAbsolutePath();
    while (p != null) {
      Path candidate = p.resolveSibling("shared").resolve("data");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
      p = p.getParent();
    }
    throw new IllegalStateException("shared/data not found (set -Dlbfgs.shared.data=DIR); looked"
        + " beside every parent of " + Paths.get("").toAbsolutePath());
  }

  private static final java.util.Map<String, org.lbfgsbeam.core.data.SparseDataset> DATASETS =
      new java.util.HashMap<>();

  /** A fixture set read once per test JVM (callers must not modify its arrays). */
  public static synchronized org.lbfgsbeam.core.data.SparseDataset dataset(String name) {
    return DATASETS.computeIfAbsent(name, n -> {
      try {
        return org.lbfgsbeam.core.data.LibsvmReader.read(file(n));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  /** The zero start point, one block per node of {@code partitioning}. */
  public static double[][] zeroStart(org.lbfgsbeam.core.partition.Partitioning partitioning) {
    double[][] w = new double[partitioning.blocks()][];
    for (int b = 0; b < w.length; b++) {
      w[b] = new double[partitioning.blockSize(b)];
    }
    return w;
  }

  /** A fixture file. */
  public static Path file(String name) {
    Path f = dir().resolve(name);
    if (!Files.isRegularFile(f)) {
      throw new IllegalStateException("fixture missing: " + f);
    }
    return f;
  }
}
