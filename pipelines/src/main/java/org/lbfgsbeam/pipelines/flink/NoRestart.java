package org.lbfgsbeam.pipelines.flink;

import org.apache.flink.runtime.execution.SuppressRestartsException;

/**
 * Marks a failure of this project's own code inside a Flink job as one a restart cannot mend.
 *
 * <p>Everything the job computes is deterministic: the same input, options and partition count give
 * the same bits on every attempt (partials are summed in node or shard order, never in arrival order).
 * An exception thrown by that code (a non-finite loss caught by a guard, a broken invariant, a block
 * too large for an array) would therefore be thrown again by every restarted attempt, and the
 * cluster's restart strategy ({@code flink-conf/config.yaml}: fixed delay, 10 attempts) would only
 * repeat it ten times before the user sees it. Wrapped in Flink's {@link SuppressRestartsException}
 * (annotated {@code NonRecoverableError}, which Flink's {@code ExecutionFailureHandler} finds anywhere
 * in the cause chain), the job fails at once. Failures of the environment (a lost TaskManager, a
 * network or file-system error), also when they surface inside a function's body through its input,
 * are not wrapped and keep their restarts ({@link #fromTheEnvironment}).
 */
final class NoRestart {
  private NoRestart() {}

  /** A deterministic body of a Flink function. */
  interface Body {
    void run() throws java.io.IOException;
  }

  /**
   * Runs {@code body}; a {@link RuntimeException} it throws is rethrown wrapped so that Flink does
   * not restart the job. {@link java.io.IOException}s and {@link Error}s (an {@code
   * OutOfMemoryError} on a TaskManager with less memory than the next) pass unchanged: a restart
   * elsewhere may get past them.
   */
  static void run(Body body) throws java.io.IOException {
    try {
      body.run();
    } catch (SuppressRestartsException e) {
      throw e;
    } catch (RuntimeException e) {
      if (fromTheEnvironment(e)) {
        throw e;
      }
      throw new SuppressRestartsException(e);
    }
  }

  /**
   * Whether {@code e} comes from the environment rather than from this project's arithmetic: an
   * {@link java.io.IOException} or a Flink exception anywhere in its cause chain. A lost
   * TaskManager reaches a surviving task as a {@code RemoteTransportException} thrown through the
   * input iterator the function reads, inside its body: that one must keep its restarts.
   */
  static boolean fromTheEnvironment(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.io.IOException
          || t.getClass().getName().startsWith("org.apache.flink.")) {
        return true;
      }
    }
    return false;
  }
}
