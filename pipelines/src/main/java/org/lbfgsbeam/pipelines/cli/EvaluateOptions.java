package org.lbfgsbeam.pipelines.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;

/**
 * The options of {@code evaluate}; the run is {@code
 * org.lbfgsbeam.pipelines.scoring.EvaluateCommand}.
 *
 * @param model the model directory, or a train run directory
 * @param data the labelled test set
 * @param labels the IDX labels of {@code data}, or null (found beside the images)
 * @param output the JSON file of the metrics, or null
 * @param confusion the confusion matrix's CSV file, or null
 * @param overwrite replace existing {@code output} and {@code confusion} files
 */
public record EvaluateOptions(Path model, Path data, Path labels, Path output, Path confusion,
    boolean overwrite) {
  public static final String HELP = String.join("\n",
      "usage: evaluate --model DIR --data FILE [options]",
      "",
      "Scores a labelled test set with a trained softmax model: accuracy, top-5 accuracy, mean",
      "log-loss, per-class precision/recall/F1 (by original label) and the confusion matrix.",
      "Features beyond the model's are ignored; a label the model does not know is an error.",
      "",
      "  --model DIR          model directory (model.json), or a train run directory (required)",
      "  --data FILE          test set: LIBSVM, or IDX images; plain or gzipped (required);",
      "                       or LIBSVM shards: a directory, or a quoted pattern such as",
      "                       'DIR/part-*' (examples in the order of the sorted names)",
      "  --labels FILE        IDX labels of --data (default: found beside the images)",
      "  --output FILE        write the metrics as JSON (default: stdout table only)",
      "  --confusion FILE     write the confusion matrix as CSV: rows true label, columns",
      "                       predicted label (default: none)",
      "  --overwrite          replace existing --output/--confusion files (default: refuse)",
      "  --help               this text");

  private static final Set<String> VALUED = Set.of("model", "data", "labels", "output",
      "confusion");
  private static final Set<String> FLAGS = Set.of("overwrite", "help");

  /** Parses; throws {@link CommandLine.UsageException} with a one-line message. */
  public static EvaluateOptions parse(List<String> args) {
    CommandLine cl = CommandLine.parse(args, VALUED, FLAGS);
    return new EvaluateOptions(Paths.get(cl.required("model")), Paths.get(cl.required("data")),
        cl.has("labels") ? Paths.get(cl.required("labels")) : null,
        cl.has("output") ? Paths.get(cl.required("output")) : null,
        cl.has("confusion") ? Paths.get(cl.required("confusion")) : null, cl.has("overwrite"));
  }

  public static boolean wantsHelp(List<String> args) {
    return args.contains("--help") || args.contains("-h");
  }
}
