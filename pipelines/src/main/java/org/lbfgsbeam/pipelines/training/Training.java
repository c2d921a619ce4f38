package org.lbfgsbeam.pipelines.training;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.List;
import org.lbfgsbeam.pipelines.cli.Failures;
import org.lbfgsbeam.pipelines.cli.StochasticTrainOptions;
import org.lbfgsbeam.pipelines.cli.TrainOptions;

/**
 * {@code train} for code that is not the command line, such as a Beam transform
 * ({@code org.lbfgsbeam.pipelines.beam.TrainModel}): the same arguments, the same validation, the
 * same run directory, and a failure as the one line the command would print.
 *
 * <p>It takes {@code train}'s arguments rather than a typed options object on purpose: the
 * arguments are {@code train}'s documented, stable interface, while {@link TrainOptions} is an
 * internal record whose components grow with the command (checkpoints, new models). A caller that
 * builds the arguments from typed, validated values of its own gets exactly the run
 * {@code java -jar lbfgs-beam.jar train ARGUMENTS} would make, defaults included, and can show the
 * user that command line.
 */
public final class Training {
  /** Appended to a failure's line on the command line; meaningless to a caller of this class. */
  private static final String VERBOSE_HINT = " (--verbose shows the stack trace)";

  private Training() {}

  /**
   * A failed training: the message is what {@code train} prints after {@code "lbfgs-beam train: "}
   * ({@link Failures}), such as {@code "bad input: DIR/part-*-of-*: every example has label 2: ..."};
   * the cause is the exception the run ended with.
   */
  public static final class Failed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    Failed(String message, int status, Throwable cause) {
      super(message, cause);
      this.status = status;
    }

    /** The exit status {@code train} would have returned: 2 for bad options or input, else 1. */
    public int status() {
      return status;
    }
  }

  /**
   * Runs {@code train} with {@code arguments} (as after {@code train} on the command line, such as
   * {@code ["--data", "/staging/part-*-of-*", "--output", "/runs/a", "--lambda", "1e-3"]}; not the
   * stochastic optimisers, whose options are another command's) and returns the run's
   * {@code summary.json}. Progress lines go to {@code progress}.
   *
   * @throws Failed with {@code train}'s one-line message if the options are bad or the run fails
   */
  public static ObjectNode train(List<String> arguments, PrintStream progress) {
    if (StochasticTrainOptions.applies(arguments)) {
      throw new Failed("Training runs full-batch L-BFGS (--optimizer lbfgs), but the arguments were: "
          + String.join(" ", arguments), 2, null);
    }
    try {
      return TrainCommand.run(TrainOptions.parse(arguments), progress).summary();
    } catch (Exception | OutOfMemoryError e) {
      Failures.Report report = Failures.describe(e);
      String line = report.line().endsWith(VERBOSE_HINT)
          ? report.line().substring(0, report.line().length() - VERBOSE_HINT.length())
          : report.line();
      throw new Failed(line, report.status(), e);
    }
  }
}
