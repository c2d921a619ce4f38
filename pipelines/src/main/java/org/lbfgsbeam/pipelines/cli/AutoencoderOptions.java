package org.lbfgsbeam.pipelines.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;

/**
 * The options of {@code autoencoder}, validated; the run is {@code
 * org.lbfgsbeam.pipelines.bench.AutoencoderCommand}.
 *
 * @param data the training images
 * @param output autoencoder.md, figures/, runs/
 * @param hidden hidden layer sizes, as given (validated)
 * @param activation of the hidden layers
 * @param epochs passes over the training set per run
 * @param batchSize examples per step
 * @param threads threads of each run
 * @param seed initialisation and mini-batch order
 * @param init sparse or default
 * @param runs the stochastic runs, as for compare
 * @param reference the optimiser whose runs set the reference loss
 */
public record AutoencoderOptions(Path data, Path output, String hidden, String activation,
    int epochs, int batchSize, int threads, int seed, String init, List<CompareOptions.Run> runs,
    String reference) {
  public static final String DEFAULT_HIDDEN = "1000,500,250,30,250,500,1000";
  public static final String DEFAULT_RUNS = "sgd:lr=0.05,adam:lr=0.001,kfac:lr=0.2";

  public static final String HELP = String.join("\n",
      "usage: autoencoder --data FILE --output DIR [options]",
      "",
      "Trains a deep autoencoder (sigmoid hidden layers, linear output, squared error against",
      "the input: train --loss squared --targets inputs) with several optimisers, each in a child",
      "JVM, on the same mini-batches (same seed) and threads; after every epoch each run's loss on",
      "the whole training set is measured. Prints a Markdown table (a row as each run ends) and",
      "writes DIR/autoencoder.md, DIR/figures/train-loss-by-step.png and",
      "train-loss-by-time.png (log scale, a line per run) and each run in DIR/runs/<run>/.",
      "",
      "  --data FILE           training images: IDX or LIBSVM (required)",
      "  --hidden SIZES        hidden layer sizes (default " + DEFAULT_HIDDEN + ",",
      "                        Hinton & Salakhutdinov's)",
      "  --activation NAME     of the hidden layers: sigmoid | tanh | relu (default sigmoid)",
      "  --epochs N            passes over the training set per run (default 100)",
      "  --batch-size N        examples per step (default 1000)",
      "  --seed N              initialisation and mini-batch order, the same for every run",
      "                        (default 1)",
      "  --threads N           threads of each run (default 2)",
      "  --init NAME           sparse (Martens 2010, as the K-FAC paper) | default (Glorot)",
      "                        (default sparse)",
      "  --runs LIST           as for compare (default " + DEFAULT_RUNS + "); a run may",
      "                        take its own epochs=N (budget) and init=default|sparse, not its",
      "                        own batch-size",
      "  --reference NAME      the optimiser whose runs set the reference loss: the lowest",
      "                        final training loss among them (default adam)",
      "  --output DIR          autoencoder.md, figures/, runs/ (required)",
      "  --help                this text");

  private static final Set<String> VALUED = Set.of("data", "hidden", "activation", "epochs",
      "batch-size", "seed", "threads", "runs", "reference", "output", "init");

  /** Parses and validates; throws {@link CommandLine.UsageException} with a one-line message. */
  public static AutoencoderOptions parse(List<String> args) {
    CommandLine cl = CommandLine.parse(args, VALUED, Set.of("help"));
    Path data = Paths.get(cl.required("data"));
    Path dir = Paths.get(cl.required("output"));
    String hidden = CompareOptions.hidden(cl.string("hidden", DEFAULT_HIDDEN));
    String activation = cl.string("activation", "sigmoid");
    if (!List.of("relu", "tanh", "sigmoid").contains(activation)) {
      throw new CommandLine.UsageException("--activation must be one of relu, tanh, sigmoid, but"
          + " was: " + activation);
    }
    int epochs = CompareOptions.positive(cl, "epochs", 100);
    int batchSize = CompareOptions.positive(cl, "batch-size", 1000);
    int threads = CompareOptions.positive(cl, "threads", 2);
    int seed = cl.integer("seed", 1);
    String init = cl.string("init", "sparse");
    if (!init.equals("default") && !init.equals("sparse")) {
      throw new CommandLine.UsageException("--init must be default or sparse, but was: " + init);
    }
    List<CompareOptions.Run> runs = CompareOptions.parseRuns(cl.string("runs", DEFAULT_RUNS));
    String reference = cl.string("reference", "adam");
    if (runs.stream().noneMatch(r -> r.optimizer().equals(reference))) {
      throw new CommandLine.UsageException("--reference " + reference + " names no run of --runs");
    }
    if (runs.stream().anyMatch(CompareOptions.Run::fullBatch)) {
      throw new CommandLine.UsageException("--runs: the autoencoder takes stochastic runs (sgd,"
          + " adam, mlbfgs, kfac), not lbfgs");
    }
    if (runs.stream().anyMatch(r -> r.settings().containsKey("batch-size"))) {
      throw new CommandLine.UsageException("--runs: every run takes the same mini-batches"
          + " (--batch-size), so no run takes its own batch-size");
    }
    return new AutoencoderOptions(data, dir, hidden, activation, epochs, batchSize, threads,
        seed, init, runs, reference);
  }

  public static boolean wantsHelp(List<String> args) {
    return args.contains("--help");
  }
}
