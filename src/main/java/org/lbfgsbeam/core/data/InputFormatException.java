package org.lbfgsbeam.core.data;

import java.io.IOException;

/**
 * A text input file that does not follow its format, located by file and line like a compiler
 * error.
 *
 * <p>{@link #getMessage()} is {@code "<source>:<line>: <reason>"}, for example
 * {@code "train.libsvm:12: feature index 5 not ascending after 7"}, or {@code "<source>: <reason>"}
 * when the problem belongs to no single line ({@link #line()} is 0), for example
 * {@code "train.libsvm: empty file: no examples"}.
 */
public final class InputFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final long line;
  private final String reason;

  /**
   * @param source the file name or path, as the user would recognise it
   * @param line the 1-based line number, or 0 when the problem is not on one line
   * @param reason what is wrong, quoting the offending text
   * @throws IllegalArgumentException if {@code line} is negative
   */
  public InputFormatException(String source, long line, String reason) {
    super(format(source, line, reason));
    this.source = source;
    this.line = line;
    this.reason = reason;
  }

  /** The file name or path the problem is in. */
  public String source() {
    return source;
  }

  /** The 1-based line number, or 0 when the problem is not on one line (e.g. an empty file). */
  public long line() {
    return line;
  }

  /** What is wrong, without the location. */
  public String reason() {
    return reason;
  }

  private static String format(String source, long line, String reason) {
    if (line < 0) {
      throw new IllegalArgumentException(
          "line must be 1-based, or 0 for no line, but was: " + line);
    }
    return line == 0 ? source + ": " + reason : source + ":" + line + ": " + reason;
  }
}
