package org.lbfgsbeam.pipelines.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;

/**
 * The options of {@code predict}; the run is {@code org.lbfgsbeam.pipelines.scoring.PredictCommand}.
 *
 * @param model the model directory, or a train run directory
 * @param data the examples
 * @param labels the IDX labels of {@code data}, or null (found beside the images)
 * @param output the CSV file
 * @param top labels per example (positive; at most the model's classes when {@code topGiven})
 * @param topGiven whether {@code --top} was given (else 5, cut to the model's classes)
 * @param overwrite replace an existing {@code output}
 */
public record PredictOptions(Path model, Path data, Path labels, Path output, int top,
    boolean topGiven, boolean overwrite) {
  public static final String HELP = String.join("\n",
      "usage: predict --model DIR --data FILE --output FILE [options]",
      "",
      "Writes per example the predicted label and the top-k labels with their probabilities",
      "(CSV: example,label,predicted,top1_label,top1_probability,...). Softmax models only.",
      "",
      "  --model DIR          model directory (model.json), or a train run directory (required)",
      "  --data FILE          examples: LIBSVM, or IDX images; plain or gzipped (required);",
      "                       or LIBSVM shards: a directory, or a quoted pattern such as",
      "                       'DIR/part-*' (examples numbered in the order of the sorted names)",
      "  --labels FILE        IDX labels of --data (default: found beside the images)",
      "  --output FILE        the CSV file (required)",
      "  --top K              labels per example, 1..classes (default 5, or the number of",
      "                       classes when fewer)",
      "  --overwrite          replace an existing --output (default: refuse)",
      "  --help               this text");

  private static final Set<String> VALUED = Set.of("model", "data", "labels", "output", "top");
  private static final Set<String> FLAGS = Set.of("overwrite", "help");

  /** Parses; throws {@link CommandLine.UsageException} with a one-line message. */
  public static PredictOptions parse(List<String> args) {
    CommandLine cl = CommandLine.parse(args, VALUED, FLAGS);
    Path model = Paths.get(cl.required("model"));
    Path data = Paths.get(cl.required("data"));
    Path labels = cl.has("labels") ? Paths.get(cl.required("labels")) : null;
    Path output = Paths.get(cl.required("output"));
    int top = cl.integer("top", 5);
    if (top < 1) {
      throw new CommandLine.UsageException("--top must be positive, but was: " + top);
    }
    return new PredictOptions(model, data, labels, output, top, cl.has("top"), cl.has("overwrite"));
  }

  public static boolean wantsHelp(List<String> args) {
    return args.contains("--help") || args.contains("-h");
  }
}
