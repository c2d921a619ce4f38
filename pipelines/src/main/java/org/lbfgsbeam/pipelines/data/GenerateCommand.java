package org.lbfgsbeam.pipelines.data;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.lbfgsbeam.core.data.SyntheticTextGenerator;
import org.lbfgsbeam.pipelines.cli.CommandLine;
import org.lbfgsbeam.pipelines.cli.GenerateOptions;

/**
 * {@code generate}: writes an LSHTC-like synthetic LIBSVM set ({@link SyntheticTextGenerator}) to a
 * file. The set is written to a temporary file beside the output and renamed onto it at the end,
 * so a failed or interrupted run never leaves partial output under the output's name. One line on
 * stderr reports the shape and the time taken. A preset ({@link GenerateOptions#PRESETS}) names a benchmark shape.
 */
public final class GenerateCommand {
  private GenerateCommand() {}

  /**
   * Writes the set {@code o} describes to its output and reports on {@code err}.
   *
   * @throws CommandLine.UsageException for an output that is a directory, or an existing output
   *     without {@code --overwrite}; nothing has been written then
   * @throws IOException if writing fails; the output is untouched and the temporary file removed
   */
  public static void run(GenerateOptions o, PrintStream err) throws IOException {
    Path output = o.output();
    SyntheticTextGenerator generator = o.generator();
    boolean overwrite = o.overwrite();
    if (Files.isDirectory(output)) {
      throw new CommandLine.UsageException("output " + output + " is a directory");
    }
    if (Files.exists(output) && !overwrite) {
      throw new CommandLine.UsageException("output " + output + " exists"
          + " (use --overwrite to replace it)");
    }

    long started = System.nanoTime();
    Path directory = output.toAbsolutePath().getParent();
    Files.createDirectories(directory);
    // Created (with the umask's permissions, unlike Files.createTempFile's 0600) in the output's
    // directory, so that the final rename stays within one file system.
    Path temporary = directory.resolve("." + output.getFileName() + "." + ProcessHandle.current()
        .pid() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
    Files.createFile(temporary);
    try {
      generator.write(temporary);
      moveIntoPlace(temporary, output, overwrite);
    } finally {
      Files.deleteIfExists(temporary);
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    err.printf(Locale.ROOT, "generated %s: %d documents, %d features, %d classes"
            + " (%.1f MB) in %.2f s%n", output, generator.documents(), generator.features(),
        generator.classes(), Files.size(output) / 1e6, seconds);
  }

  /**
   * Renames {@code temporary} onto {@code output}: atomically replacing it with {@code overwrite};
   * otherwise refusing, still, an output that appeared while the set was being written.
   */
  private static void moveIntoPlace(Path temporary, Path output, boolean overwrite)
      throws IOException {
    if (!overwrite) {
      try {
        Files.move(temporary, output);
      } catch (FileAlreadyExistsException e) {
        throw new CommandLine.UsageException("output " + output + " exists"
            + " (use --overwrite to replace it)");
      }
      return;
    }
    try {
      Files.move(temporary, output, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temporary, output, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
