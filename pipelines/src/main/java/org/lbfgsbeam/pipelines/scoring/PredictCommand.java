package org.lbfgsbeam.pipelines;

import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.transforms.ClassScores;

/**
 * {@code predict}: the most probable labels of each example under a trained softmax model, as CSV:
 * <pre>
 * example,label,predicted,top1_label,top1_probability,...,topK_label,topK_probability
 * </pre>
 * {@code example} is the 0-based position in the data file, {@code label} the label the file gives
 * (not used for scoring: it may be one the model does not know), {@code predicted} the most probable
 * label (= top1_label). Probabilities have 6 significant digits. The file is written under a temporary
 * name and renamed when complete. Features beyond the model's are ignored.
 */
final class PredictCommand {
  static final String HELP = String.join("\n",
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

  private PredictCommand() {}

  static boolean wantsHelp(List<String> args) {
    return args.contains("--help") || args.contains("-h");
  }

  /** Runs {@code predict}; reports the file written on {@code out}. */
  static void run(List<String> args, PrintStream out) throws Exception {
    CommandLine cl = CommandLine.parse(args, VALUED, FLAGS);
    Path modelDir = Paths.get(cl.required("model"));
    Path dataFile = Paths.get(cl.required("data"));
    Path labels = cl.has("labels") ? Paths.get(cl.required("labels")) : null;
    Path output = Paths.get(cl.required("output"));
    int requestedTop = cl.integer("top", 5);
    if (requestedTop < 1) {
      throw new CommandLine.UsageException("--top must be positive, but was: " + requestedTop);
    }
    OutputFiles.checkWritable(output, cl.has("overwrite"), "--output");
    ClassifierModel model = ClassifierModel.open(modelDir, "predict");
    if (cl.has("top") && requestedTop > model.classes()) {
      throw new CommandLine.UsageException("--top must be in [1, " + model.classes()
          + "] (the model's classes), but was: " + requestedTop);
    }
    int top = Math.min(requestedTop, model.classes());
    SparseDataset data = DataFiles.read(dataFile, labels);
    ClassScores scores = model.score(data, null, top);
    int[] modelLabels = model.labels();
    int[] given = data.labels();
    int[] givenLabels = data.classLabels();
    OutputFiles.writeAtomically(output, w -> {
      StringBuilder line = new StringBuilder("example,label,predicted");
      for (int r = 1; r <= top; r++) {
        line.append(",top").append(r).append("_label,top").append(r).append("_probability");
      }
      w.write(line.append('\n').toString());
      for (int i = 0; i < scores.examples(); i++) {
        line.setLength(0);
        line.append(i).append(',').append(givenLabels[given[i]]).append(',')
            .append(modelLabels[scores.predicted(i)]);
        for (int r = 0; r < top; r++) {
          line.append(',').append(modelLabels[scores.classAt(i, r)]).append(',')
              .append(String.format(Locale.ROOT, "%.6g", scores.probabilityAt(i, r)));
        }
        w.write(line.append('\n').toString());
      }
    });
    out.printf(Locale.ROOT, "%d predictions (top %d) written to %s%n", scores.examples(), top,
        output);
  }
}
