package org.lbfgsbeam.core.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Locates the shared fixture files (heart_scale.libsvm, synth-*.libsvm and their REFERENCE.md).
 *
 * <p>The directory is the system property {@value #PROPERTY}, which the root pom's surefire
 * configuration sets; without it, the first {@code ../shared/data} found from the working
 * directory (the module directory under Maven) upward. A missing directory or file is an error,
 * never a skipped test.
 */
public final class SharedData {
  /** The system property naming the shared data directory. */
  public static final String PROPERTY = "lbfgs.shared.data";

  private SharedData() {}

  /** The shared data directory. */
  public static Path dir() {
    String configured = System.getProperty(PROPERTY);
    if (configured != null && !configured.isBlank()) {
      Path dir = Paths.get(configured).toAbsolutePath().normalize();
      if (!Files.isDirectory(dir)) {
        throw new IllegalStateException("system property " + PROPERTY + " = '" + configured
            + "' is not a directory (resolved to " + dir + ")");
      }
      return dir;
    }
    Path start = Paths.get("").toAbsolutePath();
    for (Path level = start; level != null; level = level.getParent()) {
      Path candidate = level.resolve("../shared/data").normalize();
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("shared data directory not found: system property " + PROPERTY
        + " is unset and no ../shared/data exists from " + start + " upward");
  }

  /** A file in the shared data directory, which must exist. */
  public static Path file(String name) {
    Path file = dir().resolve(name);
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException("shared data file missing: " + file);
    }
    return file;
  }
}
