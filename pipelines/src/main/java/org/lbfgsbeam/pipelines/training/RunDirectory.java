package org.lbfgsbeam.pipelines.training;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import org.lbfgsbeam.pipelines.cli.CommandLine;

/**
 * The directory a training run writes into, chosen so that {@code --overwrite} replaces a finished
 * run only once the new one has finished: a run that fails on bad input, diverges or crashes leaves
 * the run it was to replace as it was.
 *
 * <table>
 *   <caption>Where a run writes</caption>
 *   <tr><th>{@code --output DIR}</th><th>{@link #path()}</th><th>{@link #commit}</th>
 *       <th>{@link #close} without commit</th></tr>
 *   <tr><td>{@code --resume}</td><td>DIR</td><td>nothing</td><td>nothing</td></tr>
 *   <tr><td>does not exist, or an empty directory</td><td>DIR</td><td>nothing</td><td>nothing:
 *       what the run wrote stays, so a run that was stopped can be continued with
 *       {@code --resume}</td></tr>
 *   <tr><td>holds something (a command allows it only with {@code --overwrite})</td><td>a sibling
 *       {@code .NAME.partial-RANDOM} in DIR's parent, created by {@link #create}</td><td>renames
 *       DIR to {@code .NAME.replaced-RANDOM}, the sibling to DIR, then deletes the replaced
 *       run</td>
 *       <td>deletes the sibling; DIR is untouched</td></tr>
 * </table>
 *
 * <p>The sibling is in DIR's own parent, so both renames stay on one filesystem and are atomic
 * ({@link StandardCopyOption#ATOMIC_MOVE}; a plain rename where the filesystem refuses that
 * option). Between the two renames DIR is briefly absent; a crash at that instant leaves the
 * earlier run in {@code .NAME.replaced-RANDOM} and the new one in the sibling.
 *
 * <p>A replacing run that is killed (SIGKILL, power loss) cannot clean up: it leaves its
 * {@code .NAME.partial-RANDOM} beside DIR, and DIR holds the earlier run as before. Such a sibling
 * cannot be resumed ({@code --resume} continues the run in DIR, the earlier one); delete it. A run
 * into a new or empty DIR writes there directly, so that a killed one can be resumed as always.
 *
 * <p>A run may write paths under {@link #path()} into the files it keeps only if they are not read
 * after {@link #commit}: the sibling's name is gone then. {@code train}'s state files (run.json,
 * control.json) name no path under the run directory: {@code --resume} derives DIR/state from
 * {@code --output}. A replacing run's prepared data (state/data.bin) thus has a path of its own, so
 * {@code ObjectiveCache}, which keys the data it keeps by that path, never serves it an earlier
 * run's.
 */
final class RunDirectory implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path output;
  private final Path path;
  private boolean done;

  private RunDirectory(Path output, Path path) {
    this.output = output;
    this.path = path;
  }

  /**
   * The directory for a run with {@code --output output}; writes nothing (see {@link #create}).
   *
   * @param resume whether the run continues the one in {@code output}
   * @throws CommandLine.UsageException if {@code output} must be replaced but is the root
   *     directory, which has no parent for the sibling
   */
  static RunDirectory open(Path output, boolean resume) throws IOException {
    if (resume || !Files.exists(output, LinkOption.NOFOLLOW_LINKS)
        || TrainCommand.isEmptyDirectory(output)) {
      return new RunDirectory(output, output);
    }
    Path absolute = output.toAbsolutePath().normalize();
    if (absolute.getParent() == null || absolute.getFileName() == null) {
      throw new CommandLine.UsageException("--output " + output + " has no parent directory to"
          + " write the new run in before it replaces the old one");
    }
    return new RunDirectory(output, sibling(absolute, "partial"));
  }

  /** The {@code --output} directory, where the run is once it has been committed. */
  Path output() {
    return output;
  }

  /** Where the run writes: {@link #output()}, or the sibling that will replace it. */
  Path path() {
    return path;
  }

  /** Whether the run writes into a sibling that {@link #commit} moves onto {@link #output()}. */
  boolean replaces() {
    return !path.equals(output);
  }

  /** Creates {@link #path()} (and, for a new output, its missing parents); returns it. */
  Path create() throws IOException {
    if (replaces()) {
      Files.createDirectory(path); // a fresh random name: an existing one is an error
    } else {
      Files.createDirectories(path);
    }
    return path;
  }

  /**
   * The run has finished: puts it in place of {@link #output()}. If the replaced run cannot be
   * deleted afterwards, says so on {@code progress} and where it is; the new run is in place.
   *
   * @throws IOException if the new run cannot be moved into place: the earlier run is back in
   *     {@link #output()} and the message names the sibling that holds the new one, which is kept
   */
  void commit(PrintStream progress) throws IOException {
    if (done) {
      throw new IllegalStateException("the run in " + path + " is already committed or closed");
    }
    done = true;
    if (!replaces()) {
      return;
    }
    Path aside = null;
    if (Files.exists(output, LinkOption.NOFOLLOW_LINKS)) {
      aside = sibling(output.toAbsolutePath().normalize(), "replaced");
      rename(output, aside);
    }
    try {
      rename(path, output);
    } catch (IOException e) {
      if (aside != null) {
        try {
          rename(aside, output);
        } catch (IOException restore) {
          e.addSuppressed(restore);
          throw new IOException("the new run in " + path + " could not be moved to " + output
              + " (" + e.getMessage() + "), nor the earlier run back from " + aside, e);
        }
      }
      throw new IOException("the new run in " + path + " could not be moved to " + output
          + ", which holds the earlier run: " + e.getMessage(), e);
    }
    if (aside != null) {
      try {
        TrainCommand.deleteRecursively(aside);
      } catch (IOException e) {
        progress.println("the replaced run could not be deleted from " + aside + " (" + e
            + "); delete it by hand");
      }
    }
  }

  /** Without {@link #commit}: deletes the sibling of a replacing run; otherwise nothing. */
  @Override
  public void close() throws IOException {
    if (done) {
      return;
    }
    done = true;
    if (replaces() && Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      TrainCommand.deleteRecursively(path);
    }
  }

  /** {@code .NAME.KIND-RANDOM} beside {@code absoluteOutput}, NAME its name. */
  private static Path sibling(Path absoluteOutput, String kind) {
    String random = Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
    return absoluteOutput.resolveSibling("." + absoluteOutput.getFileName() + "." + kind + "-"
        + random);
  }

  private static void rename(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }
}
