package org.lbfgsbeam.sparkpeer;

import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/**
 * Why breeze's L-BFGS stopped. Spark's {@code LogisticRegression} keeps only the objective history;
 * the stop reason lives in breeze's last {@code FirstOrderMinimizer.State}, which Spark drops. Breeze
 * logs it, at INFO on its {@code breeze.optimize} loggers, as {@code "Converged because REASON"}
 * ("max iterations reached", "function values converged", "gradient converged", "line search
 * failed!"), and a line-search failure that resets the history as {@code "Failure! ..."}. This
 * appender, attached to {@code breeze.optimize} only (not passed on to the console), keeps those lines.
 */
final class BreezeStopReason extends AbstractAppender {
  private static final String LOGGER = "breeze.optimize";
  private final List<String> lines = new ArrayList<>();

  private BreezeStopReason() {
    super("lbfgs-peer-breeze", null, null, true, Property.EMPTY_ARRAY);
  }

  private static BreezeStopReason installed;

  /**
   * Attaches a capturing appender to log4j2's {@code breeze.optimize} logger, once per JVM (log4j2
   * keeps the first logger configuration of a name).
   */
  static synchronized BreezeStopReason install() {
    if (installed != null) {
      return installed;
    }
    BreezeStopReason appender = new BreezeStopReason();
    appender.start();
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    Configuration config = context.getConfiguration();
    LoggerConfig logger = new LoggerConfig(LOGGER, Level.INFO, false);
    logger.addAppender(appender, Level.INFO, null);
    config.addLogger(LOGGER, logger);
    context.updateLoggers();
    installed = appender;
    return appender;
  }

  @Override
  public void append(LogEvent event) {
    String message = event.getMessage().getFormattedMessage();
    if (message.startsWith("Converged because") || message.startsWith("Failure")) {
      synchronized (lines) {
        lines.add(message);
      }
    }
  }

  /** Forgets what was seen so far (call before a fit). */
  void reset() {
    synchronized (lines) {
      lines.clear();
    }
  }

  /**
   * The stop reason of the last fit, e.g. "function values converged", with any line-search
   * failures before it; null when breeze logged none.
   */
  String message() {
    synchronized (lines) {
      String reason = null;
      int failures = 0;
      for (String line : lines) {
        if (line.startsWith("Converged because ")) {
          reason = line.substring("Converged because ".length());
        } else {
          failures++;
        }
      }
      if (reason == null) {
        return null;
      }
      return failures == 0 ? reason
          : reason + " (after " + failures + " line-search failure(s) that reset the history)";
    }
  }
}
