package org.lbfgsbeam.pipelines.flink;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * With {@code LBFGS_FLINK_TRACE} set in the environment, one line on stderr per milestone of a Flink
 * run's start (cluster started, job graph built, job submitted, first superstep of the workers and of
 * the coordinator), each with the JVM's uptime: where the seconds before the first evaluation go.
 */
final class StartupTrace {
  static final boolean ON = System.getenv("LBFGS_FLINK_TRACE") != null;

  private StartupTrace() {}

  static void mark(String milestone) {
    if (ON) {
      System.err.printf(Locale.ROOT, "startup: %s at %.3f s of JVM uptime (%s)%n", milestone,
          ManagementFactory.getRuntimeMXBean().getUptime() / 1e3, Thread.currentThread().getName());
    }
  }
}
