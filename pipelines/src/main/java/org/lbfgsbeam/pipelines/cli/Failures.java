package org.lbfgsbeam.pipelines.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Locale;
import org.apache.flink.util.SerializedThrowable;
import org.lbfgsbeam.core.data.InputFormatException;

/**
 * The one place where a command's failure becomes what the user reads: one line on stderr, naming the
 * file (and line) where there is one, the cause and what to do, and the exit status. The Java stack
 * trace follows only with {@code --verbose}.
 *
 * <table>
 *   <caption>Failures and what the user sees</caption>
 *   <tr><th>failure (anywhere in the cause chain, even inside a Flink job)</th><th>line</th>
 *       <th>status</th></tr>
 *   <tr><td>{@link CommandLine.UsageException}: a bad option, an unreachable or too small
 *       cluster, a run that does not fit the memory</td><td>its message</td><td>2</td></tr>
 *   <tr><td>{@link InputFormatException}: a data or model file that breaks its format</td>
 *       <td>{@code bad input: FILE:LINE: reason}</td><td>2</td></tr>
 *   <tr><td>{@link NoSuchFileException}, {@link AccessDeniedException}</td><td>{@code no such
 *       file: FILE}, {@code permission denied: FILE}</td><td>2</td></tr>
 *   <tr><td>an {@link IOException} saying the disk is full</td><td>{@code no space left on device
 *       writing FILE}</td><td>1</td></tr>
 *   <tr><td>{@link OutOfMemoryError}</td><td>the heap it ran out of and what to change</td>
 *       <td>1</td></tr>
 *   <tr><td>anything else (a training guard's {@link IllegalStateException}, a failed Flink
 *       job)</td><td>{@code failed: } the innermost cause's message</td><td>1</td></tr>
 * </table>
 */
public final class Failures {
  private Failures() {}

  /** What the user is told, and the exit status. */
  public record Report(int status, String line) {}

  /**
   * Prints the report of {@code failure} of {@code command} on {@code err} (with the stack trace if
   * {@code verbose}) and returns the exit status.
   */
  public static int report(String command, Throwable failure, boolean verbose, PrintStream err) {
    Report r = describe(failure);
    err.println("lbfgs-beam " + command + ": " + r.line());
    if (verbose) {
      failure.printStackTrace(err);
    }
    return r.status();
  }

  /** The report of {@code failure}. */
  public static Report describe(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof CommandLine.UsageException) {
        return new Report(2, t.getMessage());
      }
      if (t instanceof InputFormatException) {
        return new Report(2, "bad input: " + t.getMessage());
      }
      if (t instanceof NoSuchFileException e) {
        return new Report(2, "no such file: " + e.getFile());
      }
      if (t instanceof AccessDeniedException e) {
        return new Report(2, "permission denied: " + e.getFile());
      }
      if (t instanceof IOException && diskFull(t)) {
        String file = t instanceof FileSystemException e && e.getFile() != null ? " writing "
            + e.getFile() : "";
        return new Report(1, "no space left on device" + file + ": free some space or write the"
            + " output elsewhere (--output)");
      }
      if (t instanceof OutOfMemoryError) {
        return new Report(1, String.format(Locale.ROOT, "out of memory (Java heap %.1f GB): give"
            + " the JVM more (-Xmx), or use more --partitions on a cluster, a smaller --history,"
            + " fewer features", Runtime.getRuntime().maxMemory() / 1e9));
      }
      if (t instanceof SerializedThrowable s && s.getOriginalErrorClassName() != null
          && s.getOriginalErrorClassName().equals(InputFormatException.class.getName())) {
        return new Report(2, "bad input: " + messageOf(s));
      }
    }
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = messageOf(root);
    String name = root instanceof SerializedThrowable s && s.getOriginalErrorClassName() != null
        ? s.getOriginalErrorClassName() : root.getClass().getName();
    boolean ours = root instanceof IllegalStateException || root instanceof IllegalArgumentException
        || name.equals(IllegalStateException.class.getName())
        || name.equals(IllegalArgumentException.class.getName());
    String text = message == null || message.isBlank() ? simpleName(name)
        : ours ? message : simpleName(name) + ": " + message;
    return new Report(1, "failed: " + text + " (--verbose shows the stack trace)");
  }

  /**
   * The message of {@code t}; for a {@link SerializedThrowable} (a job's exception as a cluster
   * sends it to the client) without the original class name it starts with.
   */
  private static String messageOf(Throwable t) {
    String m = t.getMessage();
    if (t instanceof SerializedThrowable s && m != null && s.getOriginalErrorClassName() != null
        && m.startsWith(s.getOriginalErrorClassName() + ": ")) {
      return m.substring(s.getOriginalErrorClassName().length() + 2);
    }
    return m;
  }

  private static boolean diskFull(Throwable t) {
    String m = t.getMessage();
    return m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"));
  }

  private static String simpleName(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }
}
