package org.lbfgsbeam.pipelines;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import org.lbfgsbeam.pipelines.bench.AutoencoderCommand;
import org.lbfgsbeam.pipelines.bench.BenchCommand;
import org.lbfgsbeam.pipelines.bench.CompareCommand;
import org.lbfgsbeam.pipelines.bench.HistoryStudyCommand;
import org.lbfgsbeam.pipelines.bench.NetworkBenchCommand;
import org.lbfgsbeam.pipelines.cli.AutoencoderOptions;
import org.lbfgsbeam.pipelines.cli.BenchOptions;
import org.lbfgsbeam.pipelines.cli.BlasThreads;
import org.lbfgsbeam.pipelines.cli.ClassDataArchive;
import org.lbfgsbeam.pipelines.cli.CompareOptions;
import org.lbfgsbeam.pipelines.cli.EvaluateOptions;
import org.lbfgsbeam.pipelines.cli.Failures;
import org.lbfgsbeam.pipelines.cli.GenerateOptions;
import org.lbfgsbeam.pipelines.cli.HistoryStudyOptions;
import org.lbfgsbeam.pipelines.cli.NetworkBenchOptions;
import org.lbfgsbeam.pipelines.cli.PlotOptions;
import org.lbfgsbeam.pipelines.cli.PredictOptions;
import org.lbfgsbeam.pipelines.cli.StochasticTrainOptions;
import org.lbfgsbeam.pipelines.cli.TrainOptions;
import org.lbfgsbeam.pipelines.data.GenerateCommand;
import org.lbfgsbeam.pipelines.scoring.EvaluateCommand;
import org.lbfgsbeam.pipelines.scoring.PredictCommand;
import org.lbfgsbeam.pipelines.training.PlotCommand;
import org.lbfgsbeam.pipelines.training.StochasticTrainCommand;
import org.lbfgsbeam.pipelines.training.TrainCommand;

/**
 * The command line: {@code java -jar lbfgs-beam.jar COMMAND [options] [--verbose]}. Exit status 0 on
 * success, 2 on a usage error or bad input, 1 on any other failure; a failure is one line on stderr
 * ({@link Failures}), followed by its stack trace only with {@code --verbose}.
 */
public final class Main {
  public static final String USAGE = String.join("\n",
      "usage: lbfgs-beam COMMAND [options]",
      "",
      "commands:",
      "  train      train a model with distributed L-BFGS (train --help)",
      "  evaluate   accuracy, log-loss, per-class metrics of a model on a test set (evaluate --help)",
      "  predict    top-k labels with probabilities per example, as CSV (predict --help)",
      "  plot       PNG charts of a run's trace.csv (plot --help)",
      "  generate   write an LSHTC-like synthetic LIBSVM set (generate --help)",
      "  bench      train on several runners side by side and tabulate the times (bench --help)",
      "  bench-network  train a multilayer perceptron on several runners and the NumPy/SciPy peer",
      "             side by side, same start point (bench-network --help)",
      "  history-study  f - f* by iteration for several history sizes m, as the paper's Figs 4-6",
      "  compare    one network, several optimisers, same seed and epochs: figures, table",
      "  autoencoder  a deep sigmoid autoencoder, several optimisers on the same mini-batches:",
      "             train loss by step and by second, steps to Adam's final loss",
      "",
      "every command takes --verbose: a failure's Java stack trace after its one-line message",
      "exit status: 0 done, 2 bad options or input, 1 any other failure",
      "",
      "Najafabadi et al., \"Large-scale distributed L-BFGS\", J Big Data 2017, on Apache Beam.");

  /** The option, accepted by every command, that adds the Java stack trace to a failure's line. */
  public static final String VERBOSE = "--verbose";

  private Main() {}

  public static void main(String[] args) throws Exception {
    ClassDataArchive archive = System.getProperty(BlasThreads.CHILD_PROPERTY) == null
        ? ClassDataArchive.forThisJar(args) : null;
    if (BlasThreads.needsRelaunch(args, archive)) {
      System.exit(BlasThreads.relaunch(args, archive));
    }
    BlasThreads.watchParent();
    System.exit(run(Arrays.asList(args), System.out, System.err));
  }

  /** Runs a command; returns the exit status. */
  public static int run(List<String> args, PrintStream out, PrintStream err) {
    if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("help")) {
      (args.isEmpty() ? err : out).println(USAGE);
      return args.isEmpty() ? 2 : 0;
    }
    String command = args.get(0);
    boolean verbose = args.contains(VERBOSE);
    List<String> rest = args.subList(1, args.size()).stream().filter(a -> !a.equals(VERBOSE))
        .toList();
    try {
      switch (command) {
        case "train" -> {
          if (StochasticTrainOptions.applies(rest)) {
            if (StochasticTrainOptions.wantsHelp(rest)) {
              out.println(StochasticTrainOptions.HELP);
              return 0;
            }
            StochasticTrainCommand.run(StochasticTrainOptions.parse(rest), err);
            return 0;
          }
          if (TrainOptions.wantsHelp(rest)) {
            out.println(TrainOptions.HELP);
            return 0;
          }
          TrainCommand.run(TrainOptions.parse(rest), err);
          return 0;
        }
        case "history-study" -> {
          if (HistoryStudyOptions.wantsHelp(rest)) {
            out.println(HistoryStudyOptions.HELP);
            return 0;
          }
          HistoryStudyCommand.run(HistoryStudyOptions.parse(rest), out, err);
          return 0;
        }
        case "bench" -> {
          if (BenchOptions.wantsHelp(rest)) {
            out.println(BenchOptions.HELP);
            return 0;
          }
          BenchCommand.run(BenchOptions.parse(rest), out, err);
          return 0;
        }
        case "bench-network" -> {
          if (NetworkBenchOptions.wantsHelp(rest)) {
            out.println(NetworkBenchOptions.HELP);
            return 0;
          }
          NetworkBenchCommand.run(NetworkBenchOptions.parse(rest), out, err);
          return 0;
        }
        case "compare" -> {
          if (CompareOptions.wantsHelp(rest)) {
            out.println(CompareOptions.HELP);
            return 0;
          }
          CompareCommand.run(CompareOptions.parse(rest), out, err);
          return 0;
        }
        case "autoencoder" -> {
          if (AutoencoderOptions.wantsHelp(rest)) {
            out.println(AutoencoderOptions.HELP);
            return 0;
          }
          AutoencoderCommand.run(AutoencoderOptions.parse(rest), out, err);
          return 0;
        }
        case "evaluate" -> {
          if (EvaluateOptions.wantsHelp(rest)) {
            out.println(EvaluateOptions.HELP);
            return 0;
          }
          EvaluateCommand.run(EvaluateOptions.parse(rest), out);
          return 0;
        }
        case "predict" -> {
          if (PredictOptions.wantsHelp(rest)) {
            out.println(PredictOptions.HELP);
            return 0;
          }
          PredictCommand.run(PredictOptions.parse(rest), out);
          return 0;
        }
        case "plot" -> {
          if (PlotOptions.wantsHelp(rest)) {
            out.println(PlotOptions.HELP);
            return 0;
          }
          PlotCommand.run(PlotOptions.parse(rest), out);
          return 0;
        }
        case "generate" -> {
          if (GenerateOptions.wantsHelp(rest)) {
            out.println(GenerateOptions.HELP);
            return 0;
          }
          GenerateCommand.run(GenerateOptions.parse(rest), err);
          return 0;
        }
        default -> {
          err.println("lbfgs-beam: unknown command '" + command + "' (see --help)");
          return 2;
        }
      }
    } catch (Exception | OutOfMemoryError e) {
      return Failures.report(command, e, verbose, err);
    }
  }
}
