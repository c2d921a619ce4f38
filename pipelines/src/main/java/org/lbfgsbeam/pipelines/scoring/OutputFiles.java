package org.lbfgsbeam.pipelines.scoring;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.lbfgsbeam.pipelines.cli.CommandLine;

/** Output files that are either complete or absent: written under a temporary name, then renamed. */
final class OutputFiles {
  private OutputFiles() {}

  /** Writes text to {@code file}. */
  interface TextWriter {
    void write(Writer out) throws IOException;
  }

  /**
   * Refuses an existing {@code file} unless {@code overwrite}, naming the option that gave it.
   *
   * @throws CommandLine.UsageException if it exists and may not be replaced, or is a directory
   */
  static void checkWritable(Path file, boolean overwrite, String option) {
    if (Files.isDirectory(file)) {
      throw new CommandLine.UsageException(option + " " + file + " is a directory");
    }
    if (Files.exists(file) && !overwrite) {
      throw new CommandLine.UsageException(option + " " + file + " exists (use --overwrite to"
          + " replace it)");
    }
  }

  /**
   * {@code e} as an exception that names {@code file}: a stream's write fails with a bare {@code
   * IOException("No space left on device")}, which says nothing of where.
   */
  static IOException naming(Path file, IOException e) {
    if (e instanceof java.nio.file.FileSystemException) {
      return e;
    }
    java.nio.file.FileSystemException named = new java.nio.file.FileSystemException(
        file.toString(), null, e.getMessage());
    named.initCause(e);
    return named;
  }

  /**
   * Writes {@code file} (UTF-8) through {@code content}: into a temporary file beside it, renamed over
   * {@code file} at the end; on failure the temporary file is removed and {@code file} is untouched.
   * Missing parent directories are created.
   */
  static void writeAtomically(Path file, TextWriter content) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
    boolean done = false;
    try {
      try (Writer out = new BufferedWriter(Files.newBufferedWriter(tmp, StandardCharsets.UTF_8),
          1 << 16)) {
        content.write(out);
      } catch (IOException e) {
        throw naming(file, e);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      done = true;
    } finally {
      if (!done) {
        Files.deleteIfExists(tmp);
      }
    }
  }
}
